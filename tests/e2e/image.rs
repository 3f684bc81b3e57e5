//! End-to-end tests of the image families (being written).
