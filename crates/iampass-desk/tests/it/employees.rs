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

/// A second console on the same server (a kiosk machine, a colleague's desk) gets the book by
/// being approved, not by copying a file: after the admin's desk approves it with the fingerprint
/// it shows, it has every employee, same fields and tokens, phones enrolled elsewhere included;
/// the export imported there adds nothing twice.
#[tokio::test(flavor = "multi_thread")]
async fn a_second_console_gets_the_whole_book_once_approved_and_an_import_doubles_nothing() {
    let (d, dir) = local_desk().await;
    let ann = d.add_employee(person("Ann Lee", "E1")).await.unwrap();
    let mut fields = person("Bo Ng", "E2");
    fields.notes = "=call +44 20 7946 0000".into();
    d.add_employee(fields).await.unwrap();
    let ticket = d.start_enrollment(ann.id).await.unwrap();
    Phone::enroll(&scan(&ticket), "ann's phone", "test").await.unwrap();
    d.wait_enrolled(ann.id, Duration::from_secs(10)).await.unwrap();
    let exported = std::fs::read_to_string(d.export_employees().unwrap()).unwrap();

    let status = d.status();
    let profile = status.profile.unwrap();
    let secret =
        std::fs::read_to_string(dir.path().join(format!("data/secrets/{}.secret", profile.application_id))).unwrap();
    let other_dir = tempfile::tempdir().unwrap();
    let other = desk(other_dir.path()).await;
    other.connect(&profile.server_url, &profile.application_id, secret.trim()).await.unwrap();
    let waiting = other.team_status();
    assert_eq!(waiting.state, iampass_desk::TeamState::Waiting);
    assert!(other.employees(&EmployeeQuery::default()).unwrap().is_empty());
    assert_eq!(other.add_employee(person("Cy", "")).await.unwrap_err().to_ui().code, "no_book_key");

    // The admin's desk lists the request with the fingerprint the new desk shows.
    let listed = d.team_desks().await.unwrap();
    let new_desk = listed.iter().find(|l| !l.this_desk).unwrap();
    assert_eq!(new_desk.fingerprint, waiting.desk_fingerprint);
    let wrong = d.approve_desk(&new_desk.desk.desk_id, "0000-0000-0000-0000-0000").await.unwrap_err();
    assert_eq!(wrong.to_ui().code, "tampered", "a fingerprint that differs is never approved");
    d.approve_desk(&new_desk.desk.desk_id, &waiting.desk_fingerprint.to_lowercase()).await.unwrap();
    let ready = other.join_team().await.unwrap();
    assert_eq!(ready.state, iampass_desk::TeamState::Ready);
    assert_eq!(ready.book_fingerprint, d.team_status().book_fingerprint, "both desks show the same book key");

    let list = other.employees(&EmployeeQuery::default()).unwrap();
    let mine = d.employees(&EmployeeQuery::default()).unwrap();
    assert_eq!(list.len(), 2);
    for (a, b) in mine.iter().zip(&list) {
        assert_eq!(
            (&a.name, &a.email, &a.employee_number, &a.department, &a.notes, &a.token, a.version),
            (&b.name, &b.email, &b.employee_number, &b.department, &b.notes, &b.token, b.version)
        );
    }
    let ann_there = list.iter().find(|e| e.name == "Ann Lee").unwrap();
    assert_eq!(ann_there.state, EnrollmentState::Enrolled, "the phone enrolled elsewhere shows here");
    // The old way, importing the other desk's export, doubles nothing.
    assert!(other.import_employees(&exported).await.is_err());
    assert_eq!(other.employees(&EmployeeQuery::default()).unwrap().len(), 2);
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
