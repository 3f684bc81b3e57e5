//! End-to-end tests of the network families (being written).
