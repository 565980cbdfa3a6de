//! Secrets: credentials never appear in Debug, Display, tracing output, or requests to other hosts.
