//! End-to-end tests of the storage families (being written).
