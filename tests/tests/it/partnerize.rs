//! Partnerize: every operation against its documented sample, pagination, brackets, CSV, jobs, errors.
