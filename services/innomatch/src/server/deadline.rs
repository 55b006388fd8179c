//! A deadline for every call that ends when its request does — unary calls
//! and the start of server streams — but not for client streams such as
//! bulk import, which legitimately take as long as the upload.
//!
//! Custom on purpose: tonic's `Server::timeout` covers every call, client
//! streams included, and tower's `Timeout` fails the call with an error
//! instead of answering DEADLINE_EXCEEDED. The timer itself is tokio's.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use tonic::{Status, body::Body, codegen::http};
use tower::{Layer, Service};

/// Methods whose request is a stream: their duration is the client's to choose.
pub const CLIENT_STREAMING: &[&str] = &["/innomatch.v1.SearchService/Import"];

#[derive(Debug, Clone, Copy)]
pub struct DeadlineLayer {
    pub deadline: Duration,
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = Deadline<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Deadline { inner, deadline: self.deadline }
    }
}

#[derive(Debug, Clone)]
pub struct Deadline<S> {
    inner: S,
    deadline: Duration,
}

impl<S, ReqBody> Service<http::Request<ReqBody>> for Deadline<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        let exempt = CLIENT_STREAMING.contains(&request.uri().path());
        let deadline = self.deadline;
        let future = self.inner.call(request);
        Box::pin(async move {
            if exempt {
                return future.await;
            }
            match tokio::time::timeout(deadline, future).await {
                Ok(response) => response,
                Err(_) => Ok(Status::deadline_exceeded(format!("the call took longer than {deadline:?}")).into_http()),
            }
        })
    }
}
