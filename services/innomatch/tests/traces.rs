//! Traces over OTLP: a split deployment (core and leads processes) exporting
//! to a collector the test runs. A caller's `traceparent` becomes the parent
//! of the server's span, and the auto-matcher's call to the leads process
//! carries its trace across, so one trace shows both processes.

mod common;

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use common::{ADMIN_TOKEN, authorized, channel, organization, start_server_with, stop};
use innomatch_proto::v1::{
    self as pb, admin_service_client::AdminServiceClient, catalog_service_client::CatalogServiceClient,
    leads_service_client::LeadsServiceClient,
};
use opentelemetry_proto::tonic::{
    collector::trace::v1::{
        ExportTraceServiceRequest, ExportTraceServiceResponse,
        trace_service_server::{TraceService, TraceServiceServer},
    },
    common::v1::any_value,
    trace::v1::Span,
};
use tonic::{Request, Response, Status, metadata::MetadataValue};

/// A collector that keeps every span it is sent, with its process's services.
#[derive(Clone, Default)]
struct Collector {
    spans: Arc<Mutex<Vec<(String, Span)>>>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let mut spans = self.spans.lock().expect("spans");
        for resource_spans in request.into_inner().resource_spans {
            let services = resource_spans
                .resource
                .iter()
                .flat_map(|r| &r.attributes)
                .find(|kv| kv.key == "innomatch.services")
                .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
                    any_value::Value::StringValue(s) => Some(s.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            for scope in resource_spans.scope_spans {
                spans.extend(scope.spans.into_iter().map(|span| (services.clone(), span)));
            }
        }
        Ok(Response::new(ExportTraceServiceResponse::default()))
    }
}

async fn start_collector() -> (Collector, String) {
    let collector = Collector::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind collector");
    let addr = listener.local_addr().expect("collector address");
    let server = tonic::transport::Server::builder().add_service(TraceServiceServer::new(collector.clone()));
    tokio::spawn(server.serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)));
    (collector, format!("http://{addr}"))
}

const CALLER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

// Two workers: the collector must answer while the test blocks stopping the servers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callers_trace_continues_in_the_server_and_across_to_the_leads_process() {
    let (collector, collector_url) = start_collector().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let otlp = ["--otlp-endpoint", collector_url.as_str()];
    let (leads_server, leads_addr) = start_server_with(&data, &[&["--service", "leads"][..], &otlp].concat());
    let leads_url = format!("http://{leads_addr}");
    let core_flags = ["--service", "catalog", "--service", "search", "--service", "matcher", "--leads-url", &leads_url];
    let (core_server, core_addr) = start_server_with(&data, &[&core_flags[..], &otlp].concat());

    let core = channel(&core_addr).await;
    let mut catalog = CatalogServiceClient::new(core.clone());
    let mut admin = AdminServiceClient::new(core);
    let agency = organization(&mut catalog, "湛江检测认证服务中心", pb::OrganizationKind::IntermediaryAgency).await;
    let enterprise = organization(&mut catalog, "湛江海鲜预制菜有限公司", pb::OrganizationKind::Enterprise).await;
    let issue = |org: &str, role: pb::Role| {
        authorized(
            pb::IssueTokenRequest { organization_id: org.into(), role: role as i32, label: "traces".into() },
            ADMIN_TOKEN,
        )
    };
    let agency_token = admin.issue_token(issue(&agency, pb::Role::Agency)).await.expect("token").into_inner().token;
    let enterprise_token =
        admin.issue_token(issue(&enterprise, pb::Role::Member)).await.expect("token").into_inner().token;
    let request = authorized(pb::CreateServiceOfferRequest { offer: Some(common::testing_offer()) }, &agency_token);
    catalog.create_service_offer(request).await.expect("offer");

    // The enterprise's own tooling traces its calls and sends the context along.
    let need = common::need_for_testing_offer();
    let mut request = authorized(pb::CreateNeedRequest { need: Some(need) }, &enterprise_token);
    let traceparent = format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01");
    request.metadata_mut().insert("traceparent", MetadataValue::try_from(traceparent).expect("header"));
    catalog.create_need(request).await.expect("need");

    // Auto-matching hands the lead to the leads process.
    let mut leads = LeadsServiceClient::new(channel(&leads_addr).await);
    let deadline = Instant::now() + Duration::from_secs(20);
    while leads
        .list_leads(authorized(pb::ListLeadsRequest::default(), &agency_token))
        .await
        .map_or(true, |r| r.get_ref().leads.is_empty())
    {
        assert!(Instant::now() < deadline, "no lead reached the leads process");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A clean stop exports what each process still buffers.
    stop(core_server);
    stop(leads_server);

    let spans = collector.spans.lock().expect("spans").clone();
    let hex = hex_of;
    let create_need = spans
        .iter()
        .find(|(_, span)| hex(&span.trace_id) == CALLER_TRACE)
        .unwrap_or_else(|| panic!("no span of the caller's trace among {} spans", spans.len()));
    assert!(create_need.0.contains("catalog"), "exported by the core process: {}", create_need.0);
    assert_eq!(create_need.1.name, "rpc");
    assert_eq!(hex(&create_need.1.parent_span_id), CALLER_SPAN, "the caller's span is the parent");

    // The leads process's span of the offered lead is a child of a core-process span.
    let core_spans: Vec<&Span> = spans.iter().filter(|(s, _)| s.contains("matcher")).map(|(_, span)| span).collect();
    let crossed = spans.iter().filter(|(services, _)| services == "leads").find(|(_, span)| {
        core_spans.iter().any(|parent| parent.trace_id == span.trace_id && parent.span_id == span.parent_span_id)
    });
    let (_, crossed) = crossed.expect("a leads-process span whose parent is a core-process span");
    let parent = core_spans.iter().find(|p| p.span_id == crossed.parent_span_id).expect("parent");
    assert_eq!(parent.name, "auto_match", "the lead was offered by auto-matching");
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
