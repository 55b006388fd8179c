//! The web console in a real headless Chromium, driven over WebDriver
//! (chromedriver) from Rust: one server with the sample data and its demo
//! logins for the whole file, one chromedriver per test. With CI=true a
//! missing chromedriver fails the tests; elsewhere they are skipped with a
//! message. Screenshots of the main pages (1366×768) go to
//! `target/screenshots/`.

mod harness;

use harness::*;

/// The enterprise posts a need from the form; it lands on the need's page
/// with ranked partners (with evidence), consortium proposals and service
/// offers; the agency whose offer fits sees the lead arrive in its open
/// inbox without a reload, accepts it, and the enterprise's open need page
/// shows the acceptance without a reload.
#[tokio::test]
async fn an_enterprise_need_reaches_an_agency_live_and_the_acceptance_comes_back() {
    let Some(driver) = Driver::start().await else { return };
    let app = shared();
    let number = unique();
    // An agency whose offer fits the need exactly, with a console user of its own.
    let agency = app.agency_with_offer(number).await;

    let agency_browser = driver.browser(app).await;
    agency_browser.login(&agency.login, &agency.password).await;
    agency_browser.goto("/leads").await;
    agency_browser.wait_for_css("#leads[data-live-state='open']").await;
    // Set in the page: still there after the lead arrives proves no reload happened.
    agency_browser.client.execute("window.stillTheSamePage = true; return null;", vec![]).await.expect("mark the page");
    agency_browser.screenshot("agency-inbox").await;

    let enterprise = driver.browser(app).await;
    let login = app.login("enterprise");
    enterprise.login(&login.login, &login.password).await;
    enterprise.screenshot("enterprise-home").await;
    enterprise.goto("/needs/new").await;
    let title = format!("对虾养殖白斑病毒快速检测服务需求{number}");
    enterprise.fill("#need-title", &title).await;
    enterprise
        .fill(
            "#need-description",
            "对虾养殖基地需要白斑综合征病毒现场快速检测与检验检测服务，覆盖湛江养殖片区，定期抽检",
        )
        .await;
    enterprise.fill("#need-keywords", &format!("对虾养殖、病害检测、检验检测、{}", agency.keyword)).await;
    enterprise.fill("#need-competency-name-0", "对虾病害检测").await;
    enterprise.fill("#need-competency-weight-0", "5").await;
    enterprise.click("#need-industries option[value='shrimp']").await;
    enterprise.click("input[name='cooperation_modes'][value='tech_service']").await;
    enterprise.fill("#need-target-trl", "6").await;
    enterprise.fill("#need-budget-min", "50000").await;
    enterprise.fill("#need-budget-max", "300000").await;
    enterprise.screenshot("need-form").await;
    enterprise.click("#need-submit").await;

    // The need's page: partners with evidence, consortia with who covers what, service offers.
    enterprise.wait_for_css("#partners li.partner").await;
    enterprise.wait_for_css("#partners .evidence").await;
    enterprise.wait_for_css("#consortia article.consortium td").await;
    enterprise.wait_for_css("#services li.service .reasons li").await;
    assert_eq!(enterprise.text("main h1").await, title);
    let need_id = enterprise.path().await.trim_start_matches("/needs/").to_owned();
    enterprise.wait_for_css("#lead-progress[data-live-state='open']").await;
    enterprise.screenshot("need-matches").await;

    // The lead arrives in the agency's open inbox, live.
    let card = format!("#leads article.lead[data-need='{need_id}']");
    agency_browser.wait_for_css(&card).await;
    let still = agency_browser.client.execute("return window.stillTheSamePage === true;", vec![]).await.expect("js");
    assert_eq!(still, serde_json::Value::Bool(true), "the inbox updated without a reload");
    agency_browser.screenshot("agency-inbox-live-lead").await;

    // The enterprise's page shows the lead too, then its acceptance, without a reload.
    enterprise.client.execute("window.stillTheSamePage = true; return null;", vec![]).await.expect("mark the page");
    agency_browser.click(&format!("{card} button.accept")).await;
    agency_browser.wait_for_css(&format!("{card}[data-status='accepted']")).await;
    enterprise.wait_for_css("#lead-progress tr[data-status='accepted']").await;
    let still = enterprise.client.execute("return window.stillTheSamePage === true;", vec![]).await.expect("js");
    assert_eq!(still, serde_json::Value::Bool(true), "the need page updated without a reload");
    enterprise.screenshot("need-lead-accepted").await;

    // The inbox filters: the accepted lead is under "accepted", not under "new".
    agency_browser.goto("/leads?status=accepted").await;
    agency_browser.wait_for_css(&card).await;
    agency_browser.goto("/leads?status=new").await;
    agency_browser.wait_for_css("#leads[data-live-state='open']").await;
    assert!(agency_browser.absent(&card).await, "an accepted lead is not new");

    // The export of the accepted leads, as the leads service writes it.
    let session = agency_browser.client.get_named_cookie("im_session").await.expect("signed in").value().to_owned();
    let (status, export) = http_get(app.web, "/leads/export?format=csv&status=accepted", Some(&session)).await;
    assert_eq!(status, 200, "{export}");
    assert!(export.contains("attachment; filename=") && export.contains(&title), "{export}");

    agency_browser.quit().await;
    enterprise.quit().await;
}

/// A private need is shown to its own organization and to nobody else: not
/// in another tenant's search, and its page reads as missing.
#[tokio::test]
async fn a_private_need_is_absent_for_another_tenant() {
    let Some(driver) = Driver::start().await else { return };
    let app = shared();
    let number = unique();
    let enterprise = driver.browser(app).await;
    let login = app.login("enterprise");
    enterprise.login(&login.login, &login.password).await;
    enterprise.goto("/needs/new").await;
    let title = format!("预制菜冷链保鲜工艺保密需求{number}");
    enterprise.fill("#need-title", &title).await;
    enterprise.fill("#need-description", "预制菜冷链运输中的保鲜与品质控制工艺，内部立项，暂不公开").await;
    enterprise.fill("#need-keywords", "预制菜、冷链保鲜").await;
    enterprise.click("input[name='visibility'][value='private']").await;
    enterprise.click("#need-submit").await;
    enterprise.wait_for_css("#need-visibility").await;
    let need_path = enterprise.path().await;
    assert!(need_path.starts_with("/needs/need_"), "{need_path}");
    // The owner edits it: the form comes filled in, the change is saved.
    enterprise.click("#edit-need").await;
    enterprise.wait_for_css("input[name='expected_version']").await;
    assert_eq!(enterprise.value("#need-title").await, title);
    let title = format!("{title}（修订）");
    enterprise.fill("#need-title", &title).await;
    enterprise.click("#need-submit").await;
    enterprise.wait_until("the edit is saved", "main h1", |html| html.contains("（修订）")).await;
    assert_eq!(enterprise.path().await, need_path);
    enterprise.goto("/needs").await;
    enterprise.wait_for_css(&format!("#my-needs a[href='{need_path}']")).await;

    let university = driver.browser(app).await;
    fn login_org<'a>(app: &'a Shared, kind: &str) -> &'a str {
        app.login(kind).organization_id.as_deref().expect("an organization")
    }
    let login = app.login("university");
    university.login(&login.login, &login.password).await;
    // A public need of the same words is found, so the search itself works.
    let public = format!("预制菜冷链保鲜工艺公开需求{number}");
    app.post_need_as_admin(login_org(app, "enterprise"), &public).await;
    // The index follows the change feed: search again until it has caught up with the public need.
    let search = format!("/search?q={}&kind=need", encode(&public));
    university.goto_until("the public need is found", &search, "#search-results", |html| html.contains(&public)).await;
    // Its owner finds the private need with these words; another tenant does not.
    let search = format!("/search?q={}&kind=need", encode(&title));
    enterprise
        .goto_until("the owner finds the private need", &search, "#search-results", |html| html.contains(&title))
        .await;
    university.goto(&search).await;
    university.wait_for_css("#search-total").await;
    let results = university.html("#search-results").await;
    assert!(!results.contains(&title), "another tenant's search shows no private need: {results}");
    university.screenshot("search").await;
    university.goto(&need_path).await;
    university.wait_for_css("#error-message").await;
    assert!(!university.source().await.contains(&title), "the private need's page reads as missing");

    enterprise.quit().await;
    university.quit().await;
}

/// Bad input comes back with the message beside the field and writes
/// nothing; a form posted without the session's CSRF token and any page
/// asked for signed out are refused.
#[tokio::test]
async fn bad_fields_csrf_and_signed_out_access_are_refused() {
    let Some(driver) = Driver::start().await else { return };
    let app = shared();
    let enterprise = driver.browser(app).await;
    let login = app.login("enterprise");
    enterprise.login(&login.login, &login.password).await;
    let needs_before = app.count_needs(login.organization_id.as_deref().expect("an organization")).await;

    // An empty title: the message sits right below the title's field, the rest of the form is kept.
    enterprise.goto("/needs/new").await;
    enterprise.fill("#need-description", "绿色钢铁氢冶金中试，缺少标题").await;
    enterprise.fill("#need-budget-min", "900000").await;
    enterprise.fill("#need-budget-max", "100000").await;
    enterprise.click("#need-submit").await;
    enterprise.wait_for_css("p.field-error[data-field='title']").await;
    let beside = enterprise
        .client
        .execute(
            "return document.querySelector('#need-title').closest('label').nextElementSibling.matches('p.field-error[data-field=title]');",
            vec![],
        )
        .await
        .expect("js");
    assert_eq!(beside, serde_json::Value::Bool(true), "the message is beside the title field");
    enterprise.wait_for_css("p.field-error[data-field='budget']").await;
    assert_eq!(enterprise.value("#need-description").await, "绿色钢铁氢冶金中试，缺少标题");
    enterprise.screenshot("need-form-errors").await;
    assert_eq!(app.count_needs(login.organization_id.as_deref().expect("org")).await, needs_before, "nothing written");

    // A form without the CSRF token, with the session cookie: refused, nothing written.
    let session = enterprise.client.get_named_cookie("im_session").await.expect("signed in").value().to_owned();
    let (status, _) =
        http_post(app.web, "/needs", Some(&session), "title=%E6%B0%A2%E5%86%B6%E9%87%91&description=x").await;
    assert_eq!(status, 403);
    let (status, _) =
        http_post(app.web, "/needs", Some(&session), "csrf=forged&title=%E6%B0%A2%E5%86%B6%E9%87%91&description=x")
            .await;
    assert_eq!(status, 403);
    assert_eq!(app.count_needs(login.organization_id.as_deref().expect("org")).await, needs_before, "nothing written");

    // Signed out: pages send to the sign-in page, forms and event streams are refused.
    let visitor = driver.browser(app).await;
    for path in ["/needs", "/needs/new", "/leads", "/admin/users", "/admin/plan"] {
        visitor.goto(path).await;
        visitor.wait_for_css("#login-submit").await;
        assert_eq!(visitor.path().await, "/login", "{path}");
    }
    visitor.screenshot("login").await;
    let (status, _) = http_post(app.web, "/needs", None, "title=x").await;
    assert_eq!(status, 401);
    let (status, _) = http_get(app.web, "/events/leads", None).await;
    assert_eq!(status, 303, "the live stream needs a session");

    // Signed out after signing in: the old cookie opens nothing.
    enterprise.click("#logout").await;
    enterprise.wait_for_css("#login-submit").await;
    let (status, _) = http_get(app.web, "/needs", Some(&session)).await;
    assert_eq!(status, 303, "a signed-out session is gone");

    enterprise.quit().await;
    visitor.quit().await;
}

/// Every demo login signs in and does its own work: the university lists
/// an instrument open for sharing and sees the needs it fits; the agency
/// manages its offers; the bureau sees users, the plan board with its
/// charts, and imports a spreadsheet with a row-by-row report.
#[tokio::test]
async fn each_kind_of_demo_user_signs_in_to_their_work() {
    let Some(driver) = Driver::start().await else { return };
    let app = shared();
    let number = unique();

    let university = driver.browser(app).await;
    let login = app.login("university");
    university.login(&login.login, &login.password).await;
    university.goto("/capabilities").await;
    university.wait_for_css("#capability-form").await;
    university.click("#capability-kind option[value='instrument']").await;
    let title = format!("高分辨液相色谱质谱联用仪{number}");
    university.fill("#capability-title", &title).await;
    university
        .fill(
            "#capability-description",
            "用于对虾养殖水体与预制菜中兽药残留检测，对外开放共享：按机时收费，提前三天预约",
        )
        .await;
    university.fill("#capability-keywords", "兽药残留、检验检测、对虾养殖").await;
    university.click("#capability-industries option[value='shrimp']").await;
    university.click("#capability-sharing").await;
    university.fill("#capability-reference", "LC-MS/MS 6470").await;
    university.click("#capability-submit").await;
    university.wait_for_css("#fitting-needs").await;
    assert_eq!(university.text("main h1").await, title);
    assert!(university.text("p.kind").await.contains("可共享"), "the sharing terms show");
    university.screenshot("university-capability").await;
    university.goto("/capabilities").await;
    university.wait_until("the capability is listed", "#capabilities", |html| html.contains(&title)).await;
    university.screenshot("university-capabilities").await;
    university.quit().await;

    let agency = driver.browser(app).await;
    let login = app.login("agency");
    agency.login(&login.login, &login.password).await;
    agency.goto("/offers").await;
    agency.wait_for_css("#offers").await;
    agency.screenshot("agency-offers").await;
    agency.goto("/leads").await;
    agency.wait_for_css("#lead-filters a[data-filter='expiring']").await;
    agency.quit().await;

    let bureau = driver.browser(app).await;
    let login = app.login("bureau");
    bureau.login(&login.login, &login.password).await;
    bureau.goto("/admin/users").await;
    bureau.wait_until("the demo users are listed", "#users", |html| html.contains("demo-enterprise")).await;
    bureau.screenshot("bureau-users").await;
    bureau.goto("/admin/plan").await;
    bureau.wait_for_css("#plan svg#chart-city rect.bar").await;
    for key in ["high_tech_enterprises", "tech_smes", "incubators", "maker_spaces"] {
        bureau.wait_for_css(&format!("#plan-targets tr[data-key='{key}']")).await;
    }
    bureau.wait_for_css("#plan-districts tr[data-region='440825']").await;
    assert!(bureau.text("#plan-targets").await.contains("700"), "the 2025 target of high-tech enterprises");
    for key in ["high_level_talents", "invention_patents_per_10k", "districts_with_incubation_carrier"] {
        bureau.wait_for_css(&format!("#plan-targets tr[data-key='{key}']")).await;
    }
    // The snapshot kept at start is the history's first row.
    bureau.wait_for_css("#plan-history tr[data-day]").await;
    bureau.screenshot("bureau-plan").await;
    bureau.goto("/admin/lookup?q=湛江澄澜特钢材料有限公司").await;
    bureau.wait_for_css("#lookup-result #lookup-needs li").await;
    assert!(bureau.text("#lookup-result").await.contains("湛江澄澜特钢材料有限公司"), "the enterprise's whole picture");
    bureau.screenshot("bureau-lookup").await;

    // An import with one good and one bad row: the good one is written, the bad one reported with its line.
    let dir = tempfile::tempdir().expect("a folder");
    let file = dir.path().join("organizations.csv");
    let name = format!("湛江对虾种苗科技有限公司{number}");
    std::fs::write(
        &file,
        format!("type,name,kind,region_code\norganization,{name},enterprise,440803\norganization,,enterprise,440803\n"),
    )
    .expect("the file");
    bureau.goto("/admin/organizations").await;
    bureau.wait_for_css("#organizations").await;
    bureau.screenshot("bureau-organizations").await;
    let input = bureau.client.find(fantoccini::Locator::Css("#import-file")).await.expect("the file field");
    input.send_keys(&file.display().to_string()).await.expect("choose the file");
    bureau.click("#import-submit").await;
    bureau.wait_for_css("#import-summary[data-imported='1'][data-rejected='1']").await;
    bureau
        .wait_until("the bad row is reported", "#import-rejections", |html| {
            html.contains("line 3") && html.contains("name")
        })
        .await;
    bureau.screenshot("bureau-import-report").await;
    bureau.goto("/admin/organizations?kind=enterprise").await;
    bureau.wait_until("the imported organization is listed", "#organizations", |html| html.contains(&name)).await;
    // The export has it, in the columns the import reads.
    let session = bureau.client.get_named_cookie("im_session").await.expect("signed in").value().to_owned();
    let (status, export) = http_get(app.web, "/admin/export?kind=organization&format=csv", Some(&session)).await;
    assert_eq!(status, 200, "{export}");
    assert!(export.contains("type,id,ref,name,kind") && export.contains(&name), "{export}");
    bureau.quit().await;

    // The language toggle: the same page in English.
    let browser = driver.browser(app).await;
    let login = app.login("enterprise");
    browser.login(&login.login, &login.password).await;
    browser.goto("/needs").await;
    browser.click("a.lang").await;
    browser.wait_until("the page is in English", "html", |html| html.contains("My needs")).await;
    browser.screenshot("enterprise-needs-english").await;
    browser.quit().await;
}
