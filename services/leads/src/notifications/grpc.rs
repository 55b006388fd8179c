//! The gRPC adapter of `innomatch.v1.NotificationService`: each RPC takes the
//! principal, converts and validates the request, calls [`Notifications`]
//! and maps the error. No rules live here.

use std::pin::Pin;

use futures::{Stream, StreamExt};
use innomatch_core::{
    auth::{principal, standing},
    convert::timestamp,
    edge::{PagePolicy, enum_list, required_enum},
    status::invalid_argument,
    validation::Violations,
};
use innomatch_proto::v1::{self as pb, notification_service_server::NotificationService};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use super::{
    NotificationFilter, Notifications,
    model::{NoticeDraft, Notification, NotificationKind},
};

/// Deliveries buffered between the subscription and the gRPC stream. Small,
/// so a delivery counts as an attempt only shortly before it is written.
const STREAM_BUFFER: usize = 4;

/// The gRPC face of [`Notifications`].
#[derive(Debug, Clone)]
pub struct NotificationGrpc {
    notifications: Notifications,
}

impl NotificationGrpc {
    pub fn new(notifications: Notifications) -> Self {
        Self { notifications }
    }
}

impl From<Notification> for pb::Notification {
    fn from(n: Notification) -> Self {
        pb::Notification {
            id: n.id,
            organization_id: n.organization_id,
            kind: n.kind.to_proto(),
            need_id: n.need_id,
            subject_id: n.subject_id,
            title: n.title,
            body: n.body,
            score: n.score,
            created_at: Some(timestamp(n.created_at_ms)),
            acked_at: n.acked_at_ms.map(timestamp),
            items: n.items,
            digest_id: n.digest_id,
        }
    }
}

impl TryFrom<pb::ListNotificationsRequest> for NotificationFilter {
    type Error = Violations;
    fn try_from(r: pb::ListNotificationsRequest) -> Result<Self, Violations> {
        let mut v = Violations::new();
        let kinds = enum_list(&mut v, "kinds", &r.kinds, NotificationKind::from_proto);
        let page_size = PagePolicy::LISTS.size(&mut v, "page_size", r.page_size);
        v.into_result(NotificationFilter {
            unacknowledged_only: r.unacknowledged_only,
            kinds,
            page_size,
            page_token: r.page_token,
        })
    }
}

type ServerStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

#[tonic::async_trait]
impl NotificationService for NotificationGrpc {
    type SubscribeNotificationsStream = ServerStream<pb::NotificationDelivery>;

    async fn subscribe_notifications(
        &self,
        request: Request<pb::SubscribeNotificationsRequest>,
    ) -> Result<Response<Self::SubscribeNotificationsStream>, Status> {
        let principal = principal(&request)?;
        let standing = standing(&request)?;
        let mut deliveries = self.notifications.subscribe(&principal).await.map_err(Status::from)?;
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    // The client went away: unacknowledged notifications stay pending.
                    _ = tx.closed() => break,
                    next = deliveries.next() => match next {
                        Some(Ok(delivery)) => {
                            let message = pb::NotificationDelivery {
                                attempt: delivery.attempt,
                                notification: Some(delivery.notification.into()),
                            };
                            if tx.send(Ok(message)).await.is_err() {
                                break;
                            }
                        }
                        Some(Err(error)) => {
                            let _ = tx.send(Err(error.into())).await;
                            break;
                        }
                        None => break,
                    },
                }
            }
            tracing::debug!(token_id = %principal.token_id, "notification subscription closed");
        });
        Ok(Response::new(standing.guard(ReceiverStream::new(rx))?))
    }

    async fn list_notifications(
        &self,
        request: Request<pb::ListNotificationsRequest>,
    ) -> Result<Response<pb::ListNotificationsResponse>, Status> {
        let principal = principal(&request)?;
        let filter = NotificationFilter::try_from(request.into_inner())?;
        let list = self.notifications.list(&principal, filter).await?;
        Ok(Response::new(pb::ListNotificationsResponse {
            notifications: list.notifications.into_iter().map(Into::into).collect(),
            next_page_token: list.next_page_token,
        }))
    }

    async fn ack_notification(
        &self,
        request: Request<pb::AckNotificationRequest>,
    ) -> Result<Response<pb::Notification>, Status> {
        let principal = principal(&request)?;
        let id = request.into_inner().id;
        let notification = self.notifications.ack(&principal, &id).await?;
        Ok(Response::new(notification.into()))
    }

    async fn notify(&self, request: Request<pb::NotifyRequest>) -> Result<Response<pb::Notification>, Status> {
        if !principal(&request)?.is_admin() {
            return Err(Status::permission_denied(
                "only innomatch's own processes (an admin token) record notifications",
            ));
        }
        let r = request.into_inner();
        let mut v = Violations::new();
        let kind = required_enum(&mut v, "kind", r.kind, NotificationKind::from_proto);
        let kind =
            v.into_result(kind).map_err(|v| invalid_argument(&v))?.ok_or_else(|| Status::invalid_argument("kind"))?;
        let draft = NoticeDraft {
            organization_id: r.organization_id,
            kind,
            need_id: r.need_id,
            subject_id: r.subject_id,
            title: r.title,
            body: r.body,
            score: r.score,
        };
        let (notification, _) = self.notifications.notify(draft).await?;
        Ok(Response::new(notification.into()))
    }
}
