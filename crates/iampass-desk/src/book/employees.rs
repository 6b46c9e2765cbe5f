//! Employees and their IAMPASS tokens.

use rusqlite::{OptionalExtension as _, Row, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{Book, Millis};
use crate::error::{DeskError, DeskResult};
use iampass_proto::clock::rfc3339;
use iampass_proto::wire::AuthenticatorKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum EnrollmentState {
    NotEnrolled,
    LinkIssued,
    Enrolled,
    Lost,
}

impl EnrollmentState {
    fn as_str(self) -> &'static str {
        match self {
            Self::NotEnrolled => "not_enrolled",
            Self::LinkIssued => "link_issued",
            Self::Enrolled => "enrolled",
            Self::Lost => "lost",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "link_issued" => Self::LinkIssued,
            "enrolled" => Self::Enrolled,
            "lost" => Self::Lost,
            _ => Self::NotEnrolled,
        }
    }
}

/// An employee as the UI shows them. `token` is their IAMPASS user id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Employee {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub email: String,
    pub employee_number: String,
    pub department: String,
    pub notes: String,
    pub token: String,
    pub state: EnrollmentState,
    pub link_expires_at: Option<String>,
    pub enrolled_at: Option<String>,
    /// The enrolled phone's kind, once the server has said.
    pub phone_kind: Option<AuthenticatorKind>,
    /// For a passkey: whether it is synced to the employee's other devices.
    pub phone_synced: Option<bool>,
    pub created_at: String,
    pub updated_at: String,
    /// The entry's version in the team book (0: not in it yet); an edit names the version it
    /// started from, so a colleague's change meanwhile is noticed, not overwritten.
    #[ts(type = "number")]
    pub version: u64,
    /// Who wrote the version this desk has (from the sealed entry).
    pub edited_by: String,
}

impl Employee {
    pub fn fields(&self) -> NewEmployee {
        NewEmployee {
            name: self.name.clone(),
            email: self.email.clone(),
            employee_number: self.employee_number.clone(),
            department: self.department.clone(),
            notes: self.notes.clone(),
        }
    }
}

/// One entry of the team book to hold in this copy: `content` is the fields and who wrote them,
/// or `None` for an employee who was removed.
#[derive(Debug, Clone, Copy)]
pub struct AppliedEntry<'a> {
    pub token: &'a str,
    pub version: u64,
    pub content: Option<(&'a NewEmployee, &'a str)>,
}

/// The editable fields of an employee.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NewEmployee {
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub employee_number: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub notes: String,
}

impl NewEmployee {
    /// Trims every field and lists what is wrong, one sentence each (empty when valid).
    pub fn normalise(&mut self) -> Vec<String> {
        for f in [&mut self.name, &mut self.email, &mut self.employee_number, &mut self.department, &mut self.notes] {
            *f = f.trim().to_owned();
        }
        let mut errors = Vec::new();
        let mut bounded = |value: &str, what: &str, max: usize| {
            if value.chars().count() > max {
                errors.push(format!("{what} is longer than {max} characters"));
            }
            if value.chars().any(|c| c.is_control() && c != '\n') {
                errors.push(format!("{what} contains control characters"));
            }
        };
        bounded(&self.name, "Name", 100);
        bounded(&self.email, "Email", 254);
        bounded(&self.employee_number, "Employee number", 64);
        bounded(&self.department, "Department", 100);
        bounded(&self.notes, "Notes", 2000);
        if self.name.is_empty() {
            errors.push("Name is required".to_owned());
        }
        if !self.email.is_empty() && !looks_like_email(&self.email) {
            errors.push(format!("Email {:?} is not an email address", self.email));
        }
        errors
    }
}

fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.contains(char::is_whitespace)
        }
        None => false,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SortKey {
    #[default]
    Name,
    Department,
    State,
    Created,
}

/// Search and sort for the employee list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct EmployeeQuery {
    #[serde(default)]
    pub search: String,
    #[serde(default)]
    pub sort: SortKey,
    #[serde(default)]
    pub descending: bool,
    #[serde(default)]
    pub state: Option<EnrollmentState>,
}

const SELECT: &str = "SELECT e.id, e.name, e.email, e.employee_number, e.department, e.notes, t.token, t.state,
        t.link_expires_at, t.enrolled_at, e.created_at, e.updated_at, t.phone_kind, t.phone_synced,
        e.book_version, e.edited_by
     FROM employees e JOIN iampass_tokens t ON t.employee_id = e.id";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Employee> {
    Ok(Employee {
        id: r.get(0)?,
        name: r.get(1)?,
        email: r.get(2)?,
        employee_number: r.get(3)?,
        department: r.get(4)?,
        notes: r.get(5)?,
        token: r.get(6)?,
        state: EnrollmentState::parse(&r.get::<_, String>(7)?),
        link_expires_at: r.get::<_, Option<Millis>>(8)?.map(rfc3339),
        enrolled_at: r.get::<_, Option<Millis>>(9)?.map(rfc3339),
        created_at: rfc3339(r.get(10)?),
        updated_at: rfc3339(r.get(11)?),
        phone_kind: r.get::<_, Option<String>>(12)?.as_deref().and_then(AuthenticatorKind::parse),
        phone_synced: r.get(13)?,
        version: u64::try_from(r.get::<_, i64>(14)?).unwrap_or(0),
        edited_by: r.get(15)?,
    })
}

/// Refuses an employee number another employee (not `except`) already has.
fn check_number(tx: &rusqlite::Connection, number: &str, except: Option<i64>) -> DeskResult<()> {
    if number.is_empty() {
        return Ok(());
    }
    let taken: Option<i64> = tx
        .query_row(
            "SELECT id FROM employees WHERE employee_number = ?1 AND (?2 IS NULL OR id != ?2) LIMIT 1",
            params![number, except],
            |r| r.get(0),
        )
        .optional()?;
    match taken {
        Some(_) => Err(DeskError::Conflict(format!("An employee with number {number:?} already exists."))),
        None => Ok(()),
    }
}

fn insert(
    tx: &rusqlite::Transaction<'_>,
    e: &NewEmployee,
    token: &str,
    version: u64,
    edited_by: &str,
    now: Millis,
) -> DeskResult<i64> {
    tx.execute(
        "INSERT INTO employees (name, email, employee_number, department, notes, created_at, updated_at, book_version, edited_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8)",
        params![e.name, e.email, e.employee_number, e.department, e.notes, now, version as i64, edited_by],
    )?;
    let id = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO iampass_tokens (employee_id, token, state, updated_at) VALUES (?1, ?2, 'not_enrolled', ?3)",
        params![id, token, now],
    )?;
    Ok(id)
}

impl Book {
    /// Inserts employees with their tokens (and their version in the team book), all or none;
    /// an employee number already taken refuses the whole list.
    pub fn insert_employees(
        &mut self,
        list: &[(NewEmployee, String)],
        version: u64,
        edited_by: &str,
        now: Millis,
    ) -> DeskResult<Vec<Employee>> {
        let tx = self.conn.transaction()?;
        let mut ids = Vec::with_capacity(list.len());
        for (e, token) in list {
            check_number(&tx, &e.employee_number, None)?;
            ids.push(insert(&tx, e, token, version, edited_by, now)?);
        }
        tx.commit()?;
        ids.into_iter().map(|id| self.employee(id)).collect()
    }

    /// Every employee number in use (empty ones excluded).
    pub fn employee_numbers(&self) -> DeskResult<std::collections::HashSet<String>> {
        let mut stmt = self.conn.prepare_cached("SELECT employee_number FROM employees WHERE employee_number != ''")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Writes an employee's fields as `version` of their entry (by `edited_by`).
    pub fn update_employee(
        &mut self,
        id: i64,
        e: &NewEmployee,
        version: u64,
        edited_by: &str,
        now: Millis,
    ) -> DeskResult<Employee> {
        check_number(&self.conn, &e.employee_number, Some(id))?;
        let n = self.conn.execute(
            "UPDATE employees SET name = ?2, email = ?3, employee_number = ?4, department = ?5, notes = ?6, updated_at = ?7,
                    book_version = ?8, edited_by = ?9
             WHERE id = ?1",
            params![id, e.name, e.email, e.employee_number, e.department, e.notes, now, version as i64, edited_by],
        )?;
        if n == 0 {
            return Err(DeskError::NotFound("Employee"));
        }
        self.employee(id)
    }

    /// Makes this copy hold what the team book holds for each entry: the employee's fields at
    /// `version`, or, for `None`, no such employee; all in one transaction. The tokens of the
    /// employees it added.
    pub fn apply_entries(&mut self, entries: &[AppliedEntry<'_>], now: Millis) -> DeskResult<Vec<String>> {
        let tx = self.conn.transaction()?;
        let mut added = Vec::new();
        for entry in entries {
            let id: Option<i64> = tx
                .query_row("SELECT employee_id FROM iampass_tokens WHERE token = ?1", [entry.token], |r| r.get(0))
                .optional()?;
            match (id, entry.content) {
                (Some(id), Some((e, by))) => {
                    tx.execute(
                        "UPDATE employees SET name = ?2, email = ?3, employee_number = ?4, department = ?5, notes = ?6,
                                updated_at = ?7, book_version = ?8, edited_by = ?9
                         WHERE id = ?1",
                        params![
                            id,
                            e.name,
                            e.email,
                            e.employee_number,
                            e.department,
                            e.notes,
                            now,
                            entry.version as i64,
                            by
                        ],
                    )?;
                }
                (None, Some((e, by))) => {
                    insert(&tx, e, entry.token, entry.version, by, now)?;
                    added.push(entry.token.to_owned());
                }
                (Some(id), None) => {
                    tx.execute("DELETE FROM employees WHERE id = ?1", [id])?;
                }
                (None, None) => {}
            }
        }
        tx.commit()?;
        Ok(added)
    }

    /// Refuses an employee number that another employee than `except` has.
    pub fn check_number_free(&self, number: &str, except: Option<i64>) -> DeskResult<()> {
        check_number(&self.conn, number, except)
    }

    /// Employees in the team book (version above 0), or not yet in it.
    fn by_sharing(&self, shared: bool) -> DeskResult<Vec<Employee>> {
        let op = if shared { ">" } else { "=" };
        let mut stmt = self.conn.prepare_cached(&format!("{SELECT} WHERE e.book_version {op} 0 ORDER BY e.id"))?;
        let rows = stmt.query_map([], from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn shared(&self) -> DeskResult<Vec<Employee>> {
        self.by_sharing(true)
    }

    pub fn unshared(&self) -> DeskResult<Vec<Employee>> {
        self.by_sharing(false)
    }

    /// Records that an employee's entry is now `version` in the team book.
    pub fn set_book_version(&mut self, id: i64, version: u64, edited_by: &str) -> DeskResult<()> {
        self.conn.execute(
            "UPDATE employees SET book_version = ?2, edited_by = ?3 WHERE id = ?1",
            params![id, version as i64, edited_by],
        )?;
        Ok(())
    }

    pub fn delete_employee(&mut self, id: i64) -> DeskResult<()> {
        if self.conn.execute("DELETE FROM employees WHERE id = ?1", [id])? == 0 {
            return Err(DeskError::NotFound("Employee"));
        }
        Ok(())
    }

    pub fn employee(&self, id: i64) -> DeskResult<Employee> {
        self.conn
            .prepare_cached(&format!("{SELECT} WHERE e.id = ?1"))?
            .query_row([id], from_row)
            .optional()?
            .ok_or(DeskError::NotFound("Employee"))
    }

    pub fn employee_by_token(&self, token: &str) -> DeskResult<Option<Employee>> {
        Ok(self
            .conn
            .prepare_cached(&format!("{SELECT} WHERE t.token = ?1"))?
            .query_row([token], from_row)
            .optional()?)
    }

    /// Employees matching `q.search` (name, email, number or department, any case), sorted.
    pub fn employees(&self, q: &EmployeeQuery) -> DeskResult<Vec<Employee>> {
        let dir = if q.descending { "DESC" } else { "ASC" };
        let keys: &[&str] = match q.sort {
            SortKey::Name => &["e.name COLLATE NOCASE"],
            SortKey::Department => &["e.department COLLATE NOCASE", "e.name COLLATE NOCASE"],
            SortKey::State => &["t.state", "e.name COLLATE NOCASE"],
            SortKey::Created => &["e.created_at", "e.id"],
        };
        let order = keys.iter().map(|k| format!("{k} {dir}")).collect::<Vec<_>>().join(", ");
        let pattern = format!("%{}%", q.search.trim().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        let sql = format!(
            "{SELECT} WHERE (e.name LIKE ?1 ESCAPE '\\' OR e.email LIKE ?1 ESCAPE '\\' OR e.employee_number LIKE ?1 ESCAPE '\\'
                        OR e.department LIKE ?1 ESCAPE '\\')
               AND (?2 IS NULL OR t.state = ?2)
             ORDER BY {order}"
        );
        let state = q.state.map(EnrollmentState::as_str);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![pattern, state], from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn set_enrollment(
        &mut self,
        id: i64,
        state: EnrollmentState,
        link_expires_at: Option<Millis>,
        now: Millis,
    ) -> DeskResult<Employee> {
        let enrolled_at = (state == EnrollmentState::Enrolled).then_some(now);
        self.conn.execute(
            "UPDATE iampass_tokens SET state = ?2, link_expires_at = ?3, enrolled_at = COALESCE(?4, CASE WHEN ?2 = 'enrolled' THEN enrolled_at END),
                    phone_kind = CASE WHEN ?2 = 'enrolled' THEN phone_kind END,
                    phone_synced = CASE WHEN ?2 = 'enrolled' THEN phone_synced END,
                    updated_at = ?5 WHERE employee_id = ?1",
            params![id, state.as_str(), link_expires_at, enrolled_at, now],
        )?;
        self.employee(id)
    }

    /// Records the kind of the employee's phone (as the server reported it after binding).
    pub fn set_phone(&mut self, id: i64, kind: AuthenticatorKind, synced: Option<bool>) -> DeskResult<Employee> {
        self.conn.execute(
            "UPDATE iampass_tokens SET phone_kind = ?2, phone_synced = ?3 WHERE employee_id = ?1",
            params![id, kind.as_str(), synced],
        )?;
        self.employee(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emp(name: &str, number: &str, dept: &str) -> NewEmployee {
        NewEmployee { name: name.into(), employee_number: number.into(), department: dept.into(), ..Default::default() }
    }

    #[test]
    fn insert_search_sort_update_delete() {
        let mut b = Book::open_in_memory().unwrap();
        let list = vec![
            (emp("Zoe", "3", "Ops"), "t3".to_owned()),
            (emp("ann", "1", "Sales"), "t1".into()),
            (emp("Bob", "2", "Ops"), "t2".into()),
        ];
        b.insert_employees(&list, 1, "me", 1).unwrap();
        let names = |q: &EmployeeQuery| b.employees(q).unwrap().into_iter().map(|e| e.name).collect::<Vec<_>>();
        assert_eq!(names(&EmployeeQuery::default()), ["ann", "Bob", "Zoe"]);
        assert_eq!(
            names(&EmployeeQuery { sort: SortKey::Department, descending: true, ..Default::default() }),
            ["ann", "Zoe", "Bob"]
        );
        assert_eq!(names(&EmployeeQuery { search: "OPS".into(), ..Default::default() }), ["Bob", "Zoe"]);
        assert_eq!(names(&EmployeeQuery { search: "%".into(), ..Default::default() }), Vec::<String>::new());
        let bob = b.employee_by_token("t2").unwrap().unwrap();
        let updated = b.update_employee(bob.id, &emp("Robert", "2", "Ops"), 2, "me", 5).unwrap();
        assert_eq!((updated.name.as_str(), updated.token.as_str(), updated.version), ("Robert", "t2", 2));
        let e = b.set_enrollment(bob.id, EnrollmentState::Enrolled, None, 9).unwrap();
        assert_eq!(e.state, EnrollmentState::Enrolled);
        assert!(e.enrolled_at.is_some());
        b.delete_employee(bob.id).unwrap();
        assert!(matches!(b.employee(bob.id), Err(DeskError::NotFound(_))));
    }

    #[test]
    fn a_duplicate_number_rolls_the_whole_batch_back() {
        let mut b = Book::open_in_memory().unwrap();
        let list = vec![(emp("A", "7", ""), "ta".to_owned()), (emp("B", "7", ""), "tb".into())];
        assert!(matches!(b.insert_employees(&list, 0, "", 1), Err(DeskError::Conflict(_))));
        assert!(b.employees(&EmployeeQuery::default()).unwrap().is_empty());
    }

    #[test]
    fn validation_names_each_problem() {
        let mut ok = NewEmployee { name: "  Ann  ".into(), email: "ann@corp.example".into(), ..Default::default() };
        assert!(ok.normalise().is_empty());
        assert_eq!(ok.name, "Ann");
        let mut bad =
            NewEmployee { name: " ".into(), email: "nope".into(), notes: "x".repeat(2001), ..Default::default() };
        let errors = bad.normalise();
        assert_eq!(errors.len(), 3, "{errors:?}");
    }
}
