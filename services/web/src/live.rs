//! Live parts of pages: server-sent events that carry the new HTML of a
//! part of a page whenever the leads service reports a change (a lead
//! offered, delivered, answered, an outcome). The agency's inbox and the
//! enterprise's need page use them; `assets/live.js` swaps the part in.
//! Changes coalesce (the leads service's change counter is a watch): a
//! burst of writes costs one render, and nothing is sent between changes
//! but keep-alive comments. Every render re-checks the session, so signing
//! out ends the stream.

use std::{convert::Infallible, future::Future, time::Duration};

use axum::{
    extract::{Path, Query, State},
    http::HeaderMap,
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use futures::stream;
use tokio::sync::watch;

use crate::{
    WebConsole,
    layout::PageError,
    pages::{leads, needs},
    session::{SESSION_COOKIE, SignedIn, cookie},
};

/// The name of the events that carry a part's new HTML.
pub const UPDATE_EVENT: &str = "update";
/// How often an idle stream sends a comment, so proxies keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

struct Live<R> {
    closing: watch::Receiver<bool>,
    changes: watch::Receiver<u64>,
    render: R,
    first: bool,
}

/// A stream of `update` events: one right away (what changed between the
/// page and the stream's start is not lost), then one per change, until the
/// console stops or `render` fails (the session ended, the record went away).
fn live<R, F>(closing: watch::Receiver<bool>, changes: watch::Receiver<u64>, render: R) -> Response
where
    R: FnMut() -> F + Send + 'static,
    F: Future<Output = Result<String, PageError>> + Send,
{
    let state = Live { closing, changes, render, first: true };
    let updates = stream::unfold(state, |mut state| async move {
        if !state.first {
            tokio::select! {
                biased;
                _ = state.closing.wait_for(|closing| *closing) => return None,
                changed = state.changes.changed() => changed.ok()?,
            }
        }
        state.first = false;
        state.changes.borrow_and_update();
        match (state.render)().await {
            Ok(html) => Some((Ok::<_, Infallible>(Event::default().event(UPDATE_EVENT).data(html)), state)),
            Err(error) => {
                tracing::debug!(?error, "live stream ends");
                None
            }
        }
    });
    Sse::new(updates).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)).into_response()
}

/// The session behind the request's cookie, still signed in.
async fn still_signed_in(console: &WebConsole, secret: &str) -> Result<(), PageError> {
    match console.accounts.session(secret).await? {
        Some(_) => Ok(()),
        None => Err(PageError::SignedOut),
    }
}

/// `/events/leads?status=…`: the agency's inbox list under its filter.
pub async fn lead_events(
    State(console): State<WebConsole>,
    signed_in: SignedIn,
    headers: HeaderMap,
    Query(params): Query<leads::InboxParams>,
) -> Response {
    let Some(service) = &console.leads else { return PageError::Unavailable("leads").render(&signed_in.viewer()) };
    let changes = service.changes();
    let closing = console.closing();
    let secret = cookie(&headers, SESSION_COOKIE).unwrap_or_default().to_owned();
    live(closing, changes, move || {
        let (console, signed_in, params, secret) = (console.clone(), signed_in.clone(), params.clone(), secret.clone());
        async move {
            still_signed_in(&console, &secret).await?;
            let found = leads::inbox_leads(&console, &signed_in, &params).await?;
            Ok(leads::lead_list(signed_in.lang, signed_in.csrf(), &found).into_string())
        }
    })
}

/// `/events/needs/{id}`: how the agencies answered the need's leads (its owner only).
pub async fn need_events(
    State(console): State<WebConsole>,
    signed_in: SignedIn,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let Some(service) = &console.leads else { return PageError::Unavailable("leads").render(&signed_in.viewer()) };
    let changes = service.changes();
    let closing = console.closing();
    let secret = cookie(&headers, SESSION_COOKIE).unwrap_or_default().to_owned();
    // Refused up front like the page itself: not found, or not the owner's.
    if let Err(error) = needs::lead_progress(&console, &signed_in, &id).await {
        return error.render(&signed_in.viewer());
    }
    live(closing, changes, move || {
        let (console, signed_in, id, secret) = (console.clone(), signed_in.clone(), id.clone(), secret.clone());
        async move {
            still_signed_in(&console, &secret).await?;
            Ok(needs::lead_progress(&console, &signed_in, &id).await?.into_string())
        }
    })
}
