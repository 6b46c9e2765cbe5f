//! The book of employees against the server: removal, CSV import.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn removing_an_employee_deletes_the_server_user_and_keeps_the_audit() {
    let (d, _dir) = local_desk().await;
    let e = d.add_employee(person("Di", "E4")).await.unwrap();
    d.remove_employee(e.id).await.unwrap();
    assert!(matches!(d.employee(e.id), Err(DeskError::NotFound(_))));
    let audit = d.audit_entries(10).unwrap();
    assert_eq!((audit[0].action.as_str(), audit[0].employee_name.as_str()), ("remove_employee", "Di"));
    // The token is gone from the server too: enrolling it again is impossible.
    let dup = d.add_employee(person("Di again", "E4")).await.unwrap();
    assert_ne!(dup.token, e.token);
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_csv_with_bad_rows_imports_nothing_and_a_good_one_everything() {
    let (d, dir) = local_desk().await;
    d.add_employee(person("Existing", "E1")).await.unwrap();
    let bad = "name,email,employee_number\nAnn,ann@corp.example,E2\n,nobody@corp.example,E3\nCy,cy@corp.example,E1\n";
    let preview = d.preview_import(bad).unwrap();
    assert_eq!((preview.valid, preview.invalid), (1, 2));
    assert!(matches!(d.import_employees(bad).await, Err(DeskError::Invalid(_))));
    assert_eq!(d.employees(&EmployeeQuery::default()).unwrap().len(), 1, "nothing half-written");

    let good = "name,email,employee_number,department\nAnn,ann@corp.example,E2,Sales\nCy,cy@corp.example,E3,Ops\n";
    let added = d.import_employees(good).await.unwrap();
    assert_eq!(added.len(), 2);
    assert_eq!(d.employees(&EmployeeQuery { search: "sales".into(), ..Default::default() }).unwrap()[0].name, "Ann");
    let path = d.export_employees().unwrap();
    let csv = std::fs::read_to_string(&path).unwrap();
    assert!(path.starts_with(dir.path().join("saved").to_str().unwrap()));
    assert_eq!(csv.lines().count(), 4);
    assert!(
        actions(&d).contains(&"import_employees error".to_owned())
            && actions(&d).contains(&"import_employees ok".to_owned())
    );
    let audit_csv = std::fs::read_to_string(d.export_audit().unwrap()).unwrap();
    assert!(audit_csv.contains("import_employees"));
    d.shutdown().await;
}

/// The console's export imports back unchanged into another console on the same server (a kiosk
/// machine, a colleague's desk): same fields, same server user, phone still enrolled.
#[tokio::test(flavor = "multi_thread")]
async fn an_export_imports_into_another_console_with_the_same_users_and_phones() {
    let (d, dir) = local_desk().await;
    let ann = d.add_employee(person("Ann Lee", "E1")).await.unwrap();
    let mut fields = person("Bo Ng", "E2");
    fields.notes = "=call +44 20 7946 0000".into();
    d.add_employee(fields).await.unwrap();
    let ticket = d.start_enrollment(ann.id).await.unwrap();
    Phone::enroll(&scan(&ticket), "ann's phone", "test").await.unwrap();
    d.wait_enrolled(ann.id, Duration::from_secs(10)).await.unwrap();
    let exported = std::fs::read_to_string(d.export_employees().unwrap()).unwrap();

    // A second console, connected to the same server and application.
    let status = d.status();
    let profile = status.profile.unwrap();
    let secret =
        std::fs::read_to_string(dir.path().join(format!("data/secrets/{}.secret", profile.application_id))).unwrap();
    let other_dir = tempfile::tempdir().unwrap();
    let other = desk(other_dir.path()).await;
    other.connect(&profile.server_url, &profile.application_id, secret.trim()).await.unwrap();
    let imported = other.import_employees(&exported).await.unwrap();
    assert_eq!(imported.len(), 2);
    let list = other.employees(&EmployeeQuery::default()).unwrap();
    let mine = d.employees(&EmployeeQuery::default()).unwrap();
    for (a, b) in mine.iter().zip(&list) {
        assert_eq!(
            (&a.name, &a.email, &a.employee_number, &a.department, &a.notes, &a.token),
            (&b.name, &b.email, &b.employee_number, &b.department, &b.notes, &b.token)
        );
    }
    let ann_there = list.iter().find(|e| e.name == "Ann Lee").unwrap();
    assert_eq!(ann_there.state, EnrollmentState::Enrolled, "the phone enrolled elsewhere shows here");
    // Importing the same file again doubles nothing.
    let again = other.import_employees(&exported).await.unwrap_err();
    assert_eq!(again.to_ui().code, "invalid");
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_employee_page_shows_their_phone_recent_pushes_and_what_was_done() {
    let (d, _dir) = local_desk().await;
    let eve = d.add_employee(person("Eve Ortiz", "E7")).await.unwrap();
    let ticket = d.start_enrollment(eve.id).await.unwrap();
    let phone = Phone::enroll(&scan(&ticket), "eve's phone", "test").await.unwrap();
    d.wait_enrolled(eve.id, Duration::from_secs(10)).await.unwrap();
    let answering = tokio::spawn(async move {
        phone.answer(&iampass_device::Answer::Deny { fraud: false }, 1, Duration::from_secs(10)).await.unwrap()
    });
    let started = d.start_verification(eve.id).await.unwrap();
    d.finish_verification(&started.verification_id.unwrap()).await.unwrap();
    answering.await.unwrap();

    let page = d.employee_page(eve.id).await.unwrap();
    assert_eq!(page.employee.name, "Eve Ortiz");
    assert_eq!(page.phone.as_ref().map(|p| p.name.as_str()), Some("eve's phone"));
    let sessions = page.sessions.unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].purpose, iampass_proto::wire::RequestPurpose::Verification);
    assert_eq!(sessions[0].requested_from.as_deref(), Some("127.0.0.1"));
    let actions: Vec<&str> = page.audit.iter().map(|a| a.action.as_str()).collect();
    assert!(
        actions.contains(&"add_employee") && actions.contains(&"verify_caller") && actions.contains(&"issue_link"),
        "{actions:?}"
    );
    assert!(page.audit.iter().all(|a| a.employee_name == "Eve Ortiz"));
    d.shutdown().await;
}
