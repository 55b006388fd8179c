//! An agency's service offers: the list of its own and the form to publish
//! one (category, what it does, regions and industry chains served, terms,
//! monthly capacity). The form becomes the API's `CreateServiceOfferRequest`
//! and goes through its converter and the catalog (which refuses offers from
//! organizations that are not agencies); errors come back beside their field.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use innomatch_catalog::{convert::NewRecord, service::ListFilter};
use innomatch_core::{
    model::{Record, RecordKind, ServiceCategory},
    taxonomy::Taxonomy,
    validation::Violations,
};
use innomatch_proto::v1 as pb;
use maud::{Markup, html};

use crate::{
    WebConsole,
    form::FormData,
    i18n::Lang,
    layout::{FieldErrors, PageError, csrf_field, page},
    pages::needs::{form_field_of, split_keywords},
    session::SignedIn,
};

fn offer_request(form: &FormData) -> (pb::CreateServiceOfferRequest, Violations) {
    let mut unreadable = Violations::new();
    let monthly_capacity = match form.get("monthly_capacity").trim() {
        "" => 0,
        text => text.parse::<u32>().unwrap_or_else(|_| {
            unreadable.add("monthly_capacity", "must be a whole number");
            0
        }),
    };
    let category = match form.get("category") {
        "" => 0,
        code => ServiceCategory::from_code(code).map(ServiceCategory::to_proto).unwrap_or(-1),
    };
    let offer = pb::ServiceOffer {
        category,
        title: form.get("title").into(),
        description: form.get("description").into(),
        keywords: split_keywords(form.get("keywords")),
        regions_served: form.all("regions_served"),
        industries_served: form.all("industries_served"),
        terms: form.get("terms").into(),
        monthly_capacity,
        ..Default::default()
    };
    (pb::CreateServiceOfferRequest { offer: Some(offer) }, unreadable)
}

const SHOWN: &[&str] = &[
    "category",
    "title",
    "description",
    "keywords",
    "regions_served",
    "industries_served",
    "terms",
    "monthly_capacity",
];

fn offer_form(lang: Lang, csrf: &str, form: &FormData, errors: &FieldErrors) -> Markup {
    let taxonomy = Taxonomy::get();
    let chosen = |name: &str, value: &str| form.all(name).iter().any(|v| v == value);
    html! {
        form.card method="post" action="/offers" id="offer-form" novalidate {
            (csrf_field(csrf))
            label.field.invalid[errors.has("category")] { (lang.t("服务类别", "Category"))
                select name="category" id="offer-category" {
                    option value="" { (lang.t("请选择", "choose")) }
                    @for category in ServiceCategory::ALL {
                        option value=(category.code()) selected[form.get("category") == category.code()] { (lang.service_category(*category)) }
                    }
                }
            }
            (errors.show(lang, "category"))
            label.field.invalid[errors.has("title")] { (lang.t("服务名称", "Title"))
                input type="text" name="title" id="offer-title" value=(form.get("title")); }
            (errors.show(lang, "title"))
            label.field.invalid[errors.has("description")] { (lang.t("服务内容", "What the service does"))
                textarea name="description" id="offer-description" rows="4" { (form.get("description")) } }
            (errors.show(lang, "description"))
            label.field.invalid[errors.has("keywords")] { (lang.t("关键词（用逗号或顿号分隔）", "Keywords (separated by commas)"))
                input type="text" name="keywords" id="offer-keywords" value=(form.get("keywords")); }
            (errors.show(lang, "keywords"))
            label.field.invalid[errors.has("regions_served")] { (lang.t("服务地区（可多选）", "Regions served (choose any)"))
                select name="regions_served" id="offer-regions" multiple size="5" {
                    @for region in taxonomy.regions() {
                        option value=(region.code) selected[chosen("regions_served", &region.code)] { (region.name) }
                    }
                }
            }
            (errors.show(lang, "regions_served"))
            label.field.invalid[errors.has("industries_served")] { (lang.t("服务的产业链（可多选）", "Industry chains served (choose any)"))
                select name="industries_served" id="offer-industries" multiple size="5" {
                    @for industry in taxonomy.industries() {
                        option value=(industry.code) selected[chosen("industries_served", &industry.code)] { (industry.name) }
                    }
                }
            }
            (errors.show(lang, "industries_served"))
            label.field.invalid[errors.has("terms")] { (lang.t("服务条款（价格、周期、条件）", "Terms (price, duration, conditions)"))
                input type="text" name="terms" id="offer-terms" value=(form.get("terms")); }
            (errors.show(lang, "terms"))
            label.field.invalid[errors.has("monthly_capacity")] { (lang.t("每月可承接数（0 为不限）", "New engagements a month (0: unspecified)"))
                input type="number" min="0" name="monthly_capacity" id="offer-capacity" value=(form.get("monthly_capacity")); }
            (errors.show(lang, "monthly_capacity"))
            (errors.show_others(lang, SHOWN))
            button type="submit" id="offer-submit" { (lang.t("发布服务", "Publish the offer")) }
        }
    }
}

async fn offers_view(
    console: &WebConsole,
    signed_in: &SignedIn,
    form: &FormData,
    errors: &FieldErrors,
    status: StatusCode,
) -> Response {
    let viewer = signed_in.viewer();
    let lang = viewer.lang;
    let principal = signed_in.principal();
    let offers = match &principal.organization_id {
        Some(org) => {
            let filter = ListFilter { organization_id: Some(org.clone()), page_size: 200, ..ListFilter::default() };
            match console.catalog.list(&principal, RecordKind::ServiceOffer, filter).await {
                Ok(found) => found.records,
                Err(error) => return PageError::from(error).render(&viewer),
            }
        }
        None => Vec::new(),
    };
    let body = html! {
        @if offers.is_empty() { p.empty { (lang.t("还没有发布服务。", "No offer published yet.")) } }
        table.records id="offers" {
            thead { tr { th { (lang.t("服务", "Offer")) } th { (lang.t("类别", "Category")) } th { (lang.t("每月可承接", "Per month")) } } }
            tbody {
                @for record in &offers {
                    @if let Record::Offer(offer) = record {
                        tr {
                            td { a href={ "/offers/" (offer.meta.id) } { (offer.title) } }
                            td { @if let Some(category) = offer.category { (lang.service_category(category)) } }
                            td { @if offer.monthly_capacity > 0 { (offer.monthly_capacity) } }
                        }
                    }
                }
            }
        }
        h2 { (lang.t("发布新服务", "Publish an offer")) }
        (offer_form(lang, signed_in.csrf(), form, errors))
    };
    (status, page(&viewer, lang.t("本机构服务", "Our service offers"), body)).into_response()
}

pub async fn offers_page(State(console): State<WebConsole>, signed_in: SignedIn) -> Response {
    offers_view(&console, &signed_in, &FormData::default(), &FieldErrors::default(), StatusCode::OK).await
}

/// Publishes an offer for the user's agency; on bad input the form comes
/// back with each message beside its field and nothing is stored.
pub async fn create_offer(State(console): State<WebConsole>, signed_in: SignedIn, form: FormData) -> Response {
    if let Err(refused) = signed_in.check_csrf(&form) {
        return refused.render(&signed_in.viewer());
    }
    let (request, unreadable) = offer_request(&form);
    let violations = match (NewRecord::try_from(request), unreadable.is_empty()) {
        (Ok(NewRecord { record, owner }), true) => {
            match console.catalog.create(&signed_in.principal(), record, &owner).await {
                Ok(created) => return Redirect::to(&format!("/offers/{}", created.meta().id)).into_response(),
                Err(innomatch_catalog::CatalogError::Invalid(violations)) => violations,
                Err(error) => return PageError::from(error).render(&signed_in.viewer()),
            }
        }
        (Ok(_), false) => unreadable,
        (Err(mut violations), _) => {
            violations.0.extend(unreadable.0);
            violations
        }
    };
    let errors = FieldErrors::from_violations(&violations, |path| form_field_of("offer.", path));
    offers_view(&console, &signed_in, &form, &errors, StatusCode::BAD_REQUEST).await
}
