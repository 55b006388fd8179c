//! Helpers that turn domain failures into gRPC statuses with rich details.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::validation::Violations;

/// INVALID_ARGUMENT with one `BadRequest` field violation per invalid field.
pub fn invalid_argument(violations: &Violations) -> Status {
    let mut details = ErrorDetails::new();
    for v in &violations.0 {
        details.add_bad_request_violation(v.field.clone(), v.description.clone());
    }
    Status::with_error_details(Code::InvalidArgument, format!("invalid request: {violations}"), details)
}

/// Lets `?` turn the violations of a request into its INVALID_ARGUMENT.
impl From<Violations> for Status {
    fn from(violations: Violations) -> Self {
        invalid_argument(&violations)
    }
}
