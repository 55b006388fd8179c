//! A posted form as its ordered name/value pairs, so repeated names
//! (checkboxes, multi-selects) keep every value.

use axum::{
    extract::{FromRequest, Request},
    response::{IntoResponse, Response},
};

use crate::layout::PageError;

/// Most bytes a posted form may hold (a need with every field is a few KiB);
/// applied to every request body by the router.
pub const FORM_MAX_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, Default)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    /// The first value of `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap_or("")
    }

    /// Every value of `name`, empty ones left out.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(n, v)| n == name && !v.trim().is_empty()).map(|(_, v)| v.trim().to_owned()).collect()
    }
}

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Form::<Vec<(String, String)>>::from_request(request, state).await {
            Ok(axum::Form(pairs)) => Ok(FormData(pairs)),
            Err(rejection) => {
                Err(PageError::BadRequest(format!("the form could not be read: {rejection}")).into_response())
            }
        }
    }
}
