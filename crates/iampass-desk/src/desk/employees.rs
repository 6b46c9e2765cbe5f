//! The book's employees: adding (the server learns only a random token and sealed bytes),
//! editing, removing, importing and exporting. The team book on the server first, then this
//! desk's copy, so the copy never holds what the team book refused.

use iampass_proto::wire::BookWrite;

use super::Desk;
use crate::book::{Employee, EmployeeQuery, EnrollmentState, NewEmployee};
use crate::csv_io::{self, ImportPreview};
use crate::error::{DeskError, DeskResult};

/// A fresh IAMPASS user id: 128 random bits, so the service never sees who it is.
fn new_token() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

impl Desk {
    pub fn employees(&self, query: &EmployeeQuery) -> DeskResult<Vec<Employee>> {
        self.book()?.employees(query)
    }

    pub fn employee(&self, id: i64) -> DeskResult<Employee> {
        self.book()?.employee(id)
    }

    pub async fn add_employee(&self, mut new: NewEmployee) -> DeskResult<Employee> {
        let result = async {
            let errors = new.normalise();
            if !errors.is_empty() {
                return Err(DeskError::Invalid(errors.join("; ")));
            }
            let mut added = self.add_to_server_then_book(vec![(new.clone(), None)]).await?;
            added.pop().ok_or(DeskError::NotFound("Employee"))
        }
        .await;
        let who = result.as_ref().map(|e| (e.id, e.name.clone())).ok();
        self.audited("add_employee", who.as_ref().map(|(id, n)| (*id, n.as_str())), &new.name, result)
    }

    /// Seals the employees into the team book in one call, which adds their IAMPASS users on the
    /// server too (all or none), then writes them into this desk's copy. A token given (an
    /// import of another console's export) may already be a user on the server: the employee
    /// keeps it, phone and all.
    async fn add_to_server_then_book(&self, list: Vec<(NewEmployee, Option<String>)>) -> DeskResult<Vec<Employee>> {
        let team = self.team()?;
        let with_tokens: Vec<(NewEmployee, String)> =
            list.into_iter().map(|(e, t)| (e, t.unwrap_or_else(new_token))).collect();
        // Refuse a duplicate number (in the book, or twice in the list) before the server is touched.
        let mut taken = self.book()?.employee_numbers()?;
        if let Some((e, _)) =
            with_tokens.iter().find(|(e, _)| !e.employee_number.is_empty() && !taken.insert(e.employee_number.clone()))
        {
            return Err(DeskError::Conflict(format!(
                "An employee with number {:?} already exists.",
                e.employee_number
            )));
        }
        let writes = with_tokens
            .iter()
            .map(|(e, token)| Ok(BookWrite { user_id: token.clone(), replaces: 0, sealed: team.seal(token, 1, e)? }))
            .collect::<DeskResult<Vec<_>>>()?;
        team.write(writes).await.map_err(|e| match e {
            DeskError::Refused { code, .. } if code == "stale_version" => {
                DeskError::Conflict("The team book already has an employee with one of these IAMPASS tokens.".into())
            }
            other => other,
        })?;
        self.book().and_then(|mut b| b.insert_employees(&with_tokens, 1, &team.by, self.now()))
    }

    /// Employees added with a user the server already knew: their phone shows as enrolled in
    /// this book too. A few are asked for one by one; many (a new desk's first sync) are read
    /// from the server's user listing a page at a time. A failure leaves them "not enrolled"
    /// until their next enrollment.
    pub(super) async fn learn_phones_of(&self, tokens: &[String]) -> usize {
        const ONE_BY_ONE: usize = 20;
        let Ok(client) = self.client() else { return 0 };
        let mut phones = Vec::new();
        if tokens.len() <= ONE_BY_ONE {
            for token in tokens {
                if let Ok(Some(user)) = client.user(token).await {
                    phones.push(user);
                }
            }
        } else {
            let wanted: std::collections::HashSet<&str> = tokens.iter().map(String::as_str).collect();
            let mut cursor: Option<String> = None;
            loop {
                let Ok(page) = client.users(cursor.as_deref(), Some(1000)).await else { break };
                phones.extend(page.users.into_iter().filter(|u| wanted.contains(u.user_id.as_str())));
                match page.next_cursor {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
        }
        let mut learnt = 0;
        for user in phones {
            let Some(device) = user.device else { continue };
            let result = self.book().and_then(|mut b| match b.employee_by_token(&user.user_id)? {
                Some(e) => {
                    b.set_enrollment(e.id, EnrollmentState::Enrolled, None, self.now())?;
                    b.set_phone(e.id, device.kind, device.synced).map(|_| 1)
                }
                // Not in this desk's copy (another application's user, or not synced yet).
                None => Ok(0),
            });
            match result {
                Ok(n) => learnt += n,
                Err(err) => tracing::warn!(error = %err, "an employee's phone was not recorded"),
            }
        }
        learnt
    }

    /// Saves an edit made from `base_version` (the version the form opened; `None`: this desk's).
    /// If a colleague saved another version meanwhile, this desk takes theirs and says so, and
    /// the edit is kept by the form to be saved again over it, or dropped.
    pub async fn update_employee(
        &self,
        id: i64,
        mut fields: NewEmployee,
        base_version: Option<u64>,
    ) -> DeskResult<Employee> {
        let result = async {
            let errors = fields.normalise();
            if !errors.is_empty() {
                return Err(DeskError::Invalid(errors.join("; ")));
            }
            let current = self.employee(id)?;
            let team = self.team()?;
            let base = base_version.unwrap_or(current.version);
            self.book()?.check_number_free(&fields.employee_number, Some(id))?;
            let write = BookWrite {
                user_id: current.token.clone(),
                replaces: base,
                sealed: team.seal(&current.token, base + 1, &fields)?,
            };
            match team.write(vec![write]).await {
                Ok(_) => self.book()?.update_employee(id, &fields, base + 1, &team.by, self.now()),
                Err(DeskError::Refused { code, .. }) if code == "stale_version" => {
                    Err(self.take_theirs(&team, &current.token).await)
                }
                Err(e) => Err(e),
            }
        }
        .await;
        self.audited("update_employee", Some((id, &fields.name)), "", result)
    }

    /// After a refused write: this desk takes the version the server holds, and the error names
    /// who wrote it.
    async fn take_theirs(&self, team: &super::team::Team, token: &str) -> DeskError {
        let entry = match team.client.book_entry(token).await {
            Ok(Some(entry)) => entry,
            Ok(None) => return DeskError::NotFound("Employee"),
            Err(e) => return team.refusal(e),
        };
        match self.apply_entries(team, std::slice::from_ref(&entry)) {
            Ok((_, Some(refused))) | Err(refused) => return refused,
            Ok((_, None)) => {}
        }
        let by = self.book().ok().and_then(|b| b.employee_by_token(token).ok().flatten()).map(|e| e.edited_by);
        DeskError::EditConflict(by.filter(|b| !b.trim().is_empty()).unwrap_or_else(|| "Someone".to_owned()))
    }

    /// Removes the employee from the team book, which deletes their user on the server (their
    /// sessions close, their phone is disabled), then from this desk's copy. The audit entry
    /// keeps the name.
    pub async fn remove_employee(&self, id: i64) -> DeskResult<()> {
        let employee = self.employee(id)?;
        let result = async {
            let team = self.team()?;
            match team.client.remove_book_entry(&employee.token, employee.version).await {
                Ok(_) => {}
                // Changed by a colleague meanwhile: show their version before anything is removed.
                Err(e) if e.code() == Some("stale_version") => {
                    return Err(self.take_theirs(&team, &employee.token).await);
                }
                Err(e) => return Err(team.refusal(e)),
            }
            self.book()?.delete_employee(id)
        }
        .await;
        self.audited("remove_employee", Some((id, &employee.name)), "", result)
    }

    pub fn preview_import(&self, csv_text: &str) -> DeskResult<ImportPreview> {
        let book = self.book()?;
        let taken = book.employee_numbers()?;
        csv_io::preview(csv_text, |n| taken.contains(n), |t| book.employee_by_token(t).ok().flatten().is_some())
    }

    /// Imports every row, or none: any row with an error refuses the whole file.
    pub async fn import_employees(&self, csv_text: &str) -> DeskResult<Vec<Employee>> {
        let result = async {
            let preview = self.preview_import(csv_text)?;
            if preview.invalid > 0 {
                return Err(DeskError::Invalid(format!(
                    "{} row(s) have errors; nothing was imported. Fix them and import again.",
                    preview.invalid
                )));
            }
            if preview.rows.is_empty() {
                return Err(DeskError::Invalid("The file has no employees.".into()));
            }
            // Only a row that came with its token (another console's export) may have a phone.
            let given: Vec<String> = preview.rows.iter().filter_map(|r| r.token.clone()).collect();
            let added =
                self.add_to_server_then_book(preview.rows.into_iter().map(|r| (r.employee, r.token)).collect()).await?;
            self.learn_phones_of(&given).await;
            Ok(added)
        }
        .await;
        let detail = match &result {
            Ok(list) => format!("{} employees", list.len()),
            Err(_) => String::new(),
        };
        self.audited("import_employees", None, &detail, result)
    }

    /// Writes the book as CSV to the save folder; returns the path.
    pub fn export_employees(&self) -> DeskResult<String> {
        let result = (|| {
            let csv = csv_io::export_employees(&self.employees(&EmployeeQuery::default())?)?;
            self.save_file("iampass-desk-employees.csv", csv.as_bytes())
        })();
        self.audited("export_employees", None, "", result)
    }

    pub fn export_audit(&self) -> DeskResult<String> {
        let result = (|| {
            let csv = csv_io::export_audit(&self.audit_entries(u32::MAX)?)?;
            self.save_file("iampass-desk-audit.csv", csv.as_bytes())
        })();
        self.audited("export_audit", None, "", result)
    }
}
