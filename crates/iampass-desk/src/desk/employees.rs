//! The book's employees: adding (the server learns only a random token), editing, removing,
//! importing and exporting. Server first, then the book, so the book is never half-written.

use super::{Desk, now};
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

    /// Registers the tokens with the server in one call, then writes the book in one
    /// transaction; if the book refuses, the server users this call created are deleted again.
    /// A token given (an import of another console's export) may already be a user on the
    /// server: the employee keeps it, phone and all.
    async fn add_to_server_then_book(&self, list: Vec<(NewEmployee, Option<String>)>) -> DeskResult<Vec<Employee>> {
        let (client, url) = self.client()?;
        let given: std::collections::HashSet<String> = list.iter().filter_map(|(_, t)| t.clone()).collect();
        let with_tokens: Vec<(NewEmployee, String)> =
            list.into_iter().map(|(e, t)| (e, t.unwrap_or_else(new_token))).collect();
        // Refuse a duplicate number before the server is touched.
        let taken = self.book()?.employee_numbers()?;
        if let Some((e, _)) = with_tokens.iter().find(|(e, _)| taken.contains(&e.employee_number)) {
            return Err(DeskError::Conflict(format!(
                "An employee with number {:?} already exists.",
                e.employee_number
            )));
        }
        let tokens: Vec<String> = with_tokens.iter().map(|(_, t)| t.clone()).collect();
        let reply = client.add_users(&tokens).await.map_err(|e| DeskError::from_client(e, &url))?;
        let created = reply.users.created;
        if reply.users.existing.iter().any(|t| !given.contains(t)) {
            let _ = client.delete_users(&created).await;
            return Err(DeskError::Conflict(
                "The server already has a user with a token just generated; try again.".into(),
            ));
        }
        let written = self.book().and_then(|mut b| b.insert_employees(&with_tokens, now()));
        if written.is_err() {
            let _ = client.delete_users(&created).await;
        }
        written
    }

    /// Employees imported with a user the server already knew: their phone shows as enrolled
    /// in this book too. A failure leaves them "not enrolled" until their next enrollment.
    async fn learn_phones(&self, added: &[Employee]) {
        let Ok((client, _)) = self.client() else { return };
        for e in added {
            let Ok(Some(user)) = client.user(&e.token).await else { continue };
            let Some(device) = user.device else { continue };
            let result = self.book().and_then(|mut b| {
                b.set_enrollment(e.id, EnrollmentState::Enrolled, None, now())?;
                b.set_phone(e.id, device.kind, device.synced)
            });
            if let Err(err) = result {
                tracing::warn!(error = %err, "an imported employee's phone was not recorded");
            }
        }
    }

    pub fn update_employee(&self, id: i64, mut fields: NewEmployee) -> DeskResult<Employee> {
        let result = (|| {
            let errors = fields.normalise();
            if !errors.is_empty() {
                return Err(DeskError::Invalid(errors.join("; ")));
            }
            self.book()?.update_employee(id, &fields, now())
        })();
        self.audited("update_employee", Some((id, &fields.name)), "", result)
    }

    /// Deletes the user on the server (their sessions close, their phone is disabled), then
    /// removes the employee from the book. The audit entry keeps the name.
    pub async fn remove_employee(&self, id: i64) -> DeskResult<()> {
        let employee = self.employee(id)?;
        let result = async {
            let (client, url) = self.client()?;
            client
                .delete_users(std::slice::from_ref(&employee.token))
                .await
                .map_err(|e| DeskError::from_client(e, &url))?;
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
            let added =
                self.add_to_server_then_book(preview.rows.into_iter().map(|r| (r.employee, r.token)).collect()).await?;
            self.learn_phones(&added).await;
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
