//! Snapshot and drift tests for the generator.
