//! Conformance against Prism, an independent mock server that validates requests and generates responses.
