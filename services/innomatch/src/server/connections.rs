//! Connection limits, which tonic does not set: a cap on connections open at
//! once, a deadline for the HTTP/2 handshake (a silent or half-sent preface
//! would otherwise hold a socket forever) and a timeout for connections with
//! no open call. [`limit`] wraps the listener's connections; [`CallTrackingLayer`]
//! tells each connection when its calls start and end.

use std::{
    io,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use futures::{Stream, StreamExt, task::AtomicWaker};
use innomatch_core::config::ServerLimits;
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpStream,
    sync::{OwnedSemaphorePermit, Semaphore},
    time::{Instant, Sleep},
};
use tonic::{
    codegen::{Bytes, http},
    transport::server::{Connected, TcpConnectInfo, TlsConnectInfo},
};
use tower::{Layer, Service};

/// The client preface (24 bytes) and the frame header of its SETTINGS frame.
const HANDSHAKE_BYTES: usize = 24 + 9;

/// What the calls of one connection tell its socket.
#[derive(Debug, Default)]
struct CallCount {
    open: AtomicUsize,
    /// Wakes the socket's reader when the last call ends, to start the idle clock.
    reader: AtomicWaker,
}

/// The connection info every request of a limited connection carries.
#[derive(Debug, Clone)]
pub struct LimitedConnectInfo {
    pub tcp: TcpConnectInfo,
    calls: Arc<CallCount>,
}

/// A connection under the limits: it holds one of the connection permits
/// and closes itself (reads end) when the handshake or the idle time runs out.
pub struct LimitedConn {
    io: TcpStream,
    _permit: OwnedSemaphorePermit,
    calls: Arc<CallCount>,
    handshake_read: usize,
    idle_timeout: Duration,
    timer: Pin<Box<Sleep>>,
    /// Whether the timer currently counts idle time (not the handshake).
    idle_armed: bool,
}

impl LimitedConn {
    fn new(io: TcpStream, permit: OwnedSemaphorePermit, limits: &ServerLimits) -> Self {
        let handshake_timeout = Duration::from_millis(limits.handshake_timeout_ms);
        Self {
            io,
            _permit: permit,
            calls: Arc::default(),
            handshake_read: 0,
            idle_timeout: Duration::from_millis(limits.idle_timeout_ms),
            timer: Box::pin(tokio::time::sleep(handshake_timeout)),
            idle_armed: false,
        }
    }

    /// True when the connection has run out of time and should end.
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        if self.handshake_read < HANDSHAKE_BYTES {
            return self.timer.as_mut().poll(cx).is_ready();
        }
        self.calls.reader.register(cx.waker());
        if self.calls.open.load(Ordering::Acquire) > 0 {
            self.idle_armed = false;
            return false;
        }
        if !self.idle_armed {
            self.idle_armed = true;
            self.timer.as_mut().reset(Instant::now() + self.idle_timeout);
        }
        self.timer.as_mut().poll(cx).is_ready()
    }
}

impl AsyncRead for LimitedConn {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                // Traffic without a call (pings, settings) does not reset the
                // idle clock: only calls keep a connection open.
                let read = buf.filled().len() - before;
                self.handshake_read = self.handshake_read.saturating_add(read);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                if self.expired(cx) {
                    let why = if self.handshake_read < HANDSHAKE_BYTES { "handshake" } else { "idle" };
                    tracing::debug!(why, "closing a connection that ran out of time");
                    // End of stream: the HTTP/2 server closes the connection.
                    return Poll::Ready(Ok(()));
                }
                Poll::Pending
            }
        }
    }
}

impl AsyncWrite for LimitedConn {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

impl Connected for LimitedConn {
    type ConnectInfo = LimitedConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        LimitedConnectInfo { tcp: self.io.connect_info(), calls: Arc::clone(&self.calls) }
    }
}

/// The accepted connections of `incoming` under `limits`: beyond
/// `max_connections` a connection is closed at once (counted in
/// `innomatch_connections_refused_total`).
pub fn limit<I>(incoming: I, limits: ServerLimits) -> impl Stream<Item = io::Result<LimitedConn>> + Send
where
    I: Stream<Item = io::Result<TcpStream>> + Send,
{
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    incoming.filter_map(move |accepted| {
        let permits = Arc::clone(&permits);
        async move {
            let io = match accepted {
                Ok(io) => io,
                Err(error) => return Some(Err(error)),
            };
            match permits.try_acquire_owned() {
                Ok(permit) => Some(Ok(LimitedConn::new(io, permit, &limits))),
                Err(_) => {
                    metrics::counter!("innomatch_connections_refused_total").increment(1);
                    tracing::warn!(max = limits.max_connections, "connection limit reached; closing a new connection");
                    drop(io);
                    None
                }
            }
        }
    })
}

/// Counts each call of a limited connection from its start until its
/// response body is dropped (the end of a stream), so the connection knows
/// when it is idle.
#[derive(Debug, Clone, Copy, Default)]
pub struct CallTrackingLayer;

impl<S> Layer<S> for CallTrackingLayer {
    type Service = CallTracking<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CallTracking { inner }
    }
}

#[derive(Debug, Clone)]
pub struct CallTracking<S> {
    inner: S,
}

/// One open call; dropping it may start the connection's idle clock.
struct OpenCall(Arc<CallCount>);

impl OpenCall {
    fn start(calls: Arc<CallCount>) -> Self {
        calls.open.fetch_add(1, Ordering::AcqRel);
        Self(calls)
    }
}

impl Drop for OpenCall {
    fn drop(&mut self) {
        if self.0.open.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.reader.wake();
        }
    }
}

/// A response body that keeps its call counted until it is dropped.
pub struct TrackedBody<B> {
    inner: Pin<Box<B>>,
    _call: Option<OpenCall>,
}

impl<B> http_body::Body for TrackedBody<B>
where
    B: http_body::Body<Data = Bytes>,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        self.inner.as_mut().poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for CallTracking<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>> + Send + 'static,
    S::Future: Send + 'static,
    ResBody: http_body::Body<Data = Bytes> + Send + 'static,
{
    type Response = http::Response<TrackedBody<ResBody>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        // Under TLS the connection info comes wrapped in the TLS session's.
        let extensions = request.extensions();
        let info = extensions
            .get::<LimitedConnectInfo>()
            .or_else(|| extensions.get::<TlsConnectInfo<LimitedConnectInfo>>().map(TlsConnectInfo::get_ref));
        let call = info.map(|info| OpenCall::start(Arc::clone(&info.calls)));
        let future = self.inner.call(request);
        Box::pin(async move {
            let response = future.await?;
            Ok(response.map(|body| TrackedBody { inner: Box::pin(body), _call: call }))
        })
    }
}
