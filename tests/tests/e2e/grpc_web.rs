//! gRPC-Web on the gRPC port: a client that speaks only HTTP/1.1 (a browser,
//! a script) calls the same services with the same auth, framed as
//! gRPC-Web (`application/grpc-web+proto`), and gets the answer and the
//! status in the body's trailer frame.

use bytes::{Buf, Bytes};
use http_body_util::{BodyExt, Full};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use innomatch_core::model::OrganizationKind;
use innomatch_proto::v1 as pb;
use innomatch_tests::*;
use prost::Message;

/// The message frames and the trailer text of a gRPC-Web body.
fn frames(mut body: Bytes) -> (Vec<Bytes>, String) {
    let (mut messages, mut trailers) = (Vec::new(), String::new());
    while body.remaining() >= 5 {
        let flag = body.get_u8();
        let length = body.get_u32() as usize;
        let frame = body.split_to(length.min(body.len()));
        if flag & 0x80 != 0 {
            trailers.push_str(&String::from_utf8_lossy(&frame));
        } else {
            messages.push(frame);
        }
    }
    (messages, trailers)
}

/// Posts one gRPC-Web call over HTTP/1.1; the HTTP status, the headers' grpc-status and the body.
async fn call(app: &TestApp, path: &str, token: Option<&str>, message: impl Message) -> (u16, Option<String>, Bytes) {
    let encoded = message.encode_to_vec();
    let mut body = Vec::with_capacity(encoded.len() + 5);
    body.push(0);
    body.extend_from_slice(&u32::try_from(encoded.len()).expect("small").to_be_bytes());
    body.extend_from_slice(&encoded);
    let mut request = hyper::Request::post(format!("http://{}{path}", app.addr))
        .header("content-type", "application/grpc-web+proto")
        .header("x-grpc-web", "1");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let request = request.body(Full::new(Bytes::from(body))).expect("a request");
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let response = client.request(request).await.expect("an answer over HTTP/1.1");
    assert_eq!(response.version(), hyper::Version::HTTP_11);
    let status = response.status().as_u16();
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(content_type.starts_with("application/grpc-web"), "{content_type}");
    let grpc_status = response.headers().get("grpc-status").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = response.into_body().collect().await.expect("the body").to_bytes();
    (status, grpc_status, body)
}

#[tokio::test]
async fn an_http1_client_calls_the_api_over_grpc_web_with_the_same_auth() {
    let app = spawn_app().await;
    let id = app.create_org("湛江绿色钢铁研究中心", OrganizationKind::ResearchInstitute, "440803").await;
    let path = "/innomatch.v1.CatalogService/GetOrganization";

    let (status, _, body) =
        call(&app, path, Some(&app.admin_token.clone()), pb::GetOrganizationRequest { id: id.clone() }).await;
    assert_eq!(status, 200);
    let (messages, trailers) = frames(body);
    assert!(trailers.contains("grpc-status:0"), "{trailers}");
    let organization =
        pb::Organization::decode(messages.first().cloned().expect("one message")).expect("an organization");
    assert_eq!(organization.name, "湛江绿色钢铁研究中心");
    assert_eq!(organization.meta.expect("meta").id, id);

    // No token: refused exactly as over gRPC (UNAUTHENTICATED = 16), nothing answered.
    let (_, header_status, body) = call(&app, path, None, pb::GetOrganizationRequest { id }).await;
    let (messages, trailers) = frames(body);
    assert!(messages.is_empty());
    assert!(
        header_status.as_deref() == Some("16") || trailers.contains("grpc-status:16"),
        "{header_status:?} {trailers}"
    );
}
