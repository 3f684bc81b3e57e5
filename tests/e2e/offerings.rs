//! End-to-end tests of the offerings families (being written).
