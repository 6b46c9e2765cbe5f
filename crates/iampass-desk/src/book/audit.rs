//! The audit log: every operator action, with its result.

use rusqlite::params;
use serde::Serialize;
use ts_rs::TS;

use super::{Book, Millis};
use crate::error::DeskResult;
use iampass_proto::clock::rfc3339;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct AuditEntry {
    #[ts(type = "number")]
    pub id: i64,
    pub at: String,
    pub operator: String,
    pub action: String,
    pub employee_name: String,
    pub result: String,
    pub detail: String,
}

/// One action to record.
#[derive(Debug, Clone)]
pub struct NewAudit<'a> {
    pub operator: &'a str,
    pub action: &'a str,
    pub employee: Option<(i64, &'a str)>,
    pub ok: bool,
    pub detail: &'a str,
}

impl Book {
    pub fn audit(&mut self, a: &NewAudit<'_>, now: Millis) -> DeskResult<()> {
        let (id, name) = a.employee.map_or((None, ""), |(id, n)| (Some(id), n));
        self.conn.execute(
            "INSERT INTO audit_log (at, operator, action, employee_id, employee_name, result, detail)
             VALUES (?1, ?2, ?3, (SELECT id FROM employees WHERE id = ?4), ?5, ?6, ?7)",
            params![now, a.operator, a.action, id, name, if a.ok { "ok" } else { "error" }, a.detail],
        )?;
        Ok(())
    }

    /// The newest `limit` entries, newest first.
    pub fn audit_entries(&self, limit: u32) -> DeskResult<Vec<AuditEntry>> {
        self.audit_where("1 = 1 OR ?2 IS NULL", limit, None)
    }

    /// The newest `limit` entries about one employee, newest first.
    pub fn audit_about(&self, employee_id: i64, limit: u32) -> DeskResult<Vec<AuditEntry>> {
        self.audit_where("employee_id = ?2", limit, Some(employee_id))
    }

    fn audit_where(&self, condition: &str, limit: u32, employee_id: Option<i64>) -> DeskResult<Vec<AuditEntry>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT id, at, operator, action, employee_name, result, detail FROM audit_log WHERE {condition}
             ORDER BY id DESC LIMIT ?1"
        ))?;
        let rows = stmt.query_map(rusqlite::params![limit, employee_id], |r| {
            Ok(AuditEntry {
                id: r.get(0)?,
                at: rfc3339(r.get(1)?),
                operator: r.get(2)?,
                action: r.get(3)?,
                employee_name: r.get(4)?,
                result: r.get(5)?,
                detail: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::NewEmployee;

    #[test]
    fn entries_outlive_their_employee() {
        let mut b = Book::open_in_memory().unwrap();
        let e = b
            .insert_employees(&[(NewEmployee { name: "Ann".into(), ..Default::default() }, "t".into())], 0, "", 1)
            .unwrap()
            .remove(0);
        b.audit(
            &NewAudit { operator: "op", action: "add_employee", employee: Some((e.id, &e.name)), ok: true, detail: "" },
            2,
        )
        .unwrap();
        b.delete_employee(e.id).unwrap();
        b.audit(
            &NewAudit {
                operator: "op",
                action: "remove_employee",
                employee: Some((e.id, &e.name)),
                ok: true,
                detail: "",
            },
            3,
        )
        .unwrap();
        let entries = b.audit_entries(10).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!((entries[0].action.as_str(), entries[0].employee_name.as_str()), ("remove_employee", "Ann"));
    }
}
