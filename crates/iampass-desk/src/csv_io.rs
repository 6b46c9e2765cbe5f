//! CSV import of employees (a preview with per-row errors; committed all or nothing elsewhere)
//! and CSV export of the book and the audit log, safe to open in a spreadsheet.

use serde::Serialize;
use ts_rs::TS;

use crate::book::{AuditEntry, Employee, NewEmployee};
use crate::error::{DeskError, DeskResult};

pub const MAX_IMPORT_ROWS: usize = 10_000;
const COLUMNS: [&str; 5] = ["name", "email", "employee_number", "department", "notes"];
/// Columns of the console's own export that an import reads (`iampass_token`: the employee keeps
/// their user on the server, phone and all) or skips (facts the server and book keep themselves).
const EXPORT_COLUMNS: [&str; 4] = ["iampass_token", "state", "enrolled_at", "created_at"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ImportRow {
    /// Line in the file (the header is line 1).
    pub line: u32,
    pub employee: NewEmployee,
    /// The employee's IAMPASS user id, from another console's export.
    pub token: Option<String>,
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ImportPreview {
    pub rows: Vec<ImportRow>,
    pub valid: u32,
    pub invalid: u32,
}

/// Parses and checks a CSV with a header naming some of: name (required), email,
/// employee_number, department, notes, and the console's own export columns. `taken` says
/// whether an employee number is already used, `known` whether a token is already in the book.
pub fn preview(text: &str, taken: impl Fn(&str) -> bool, known: impl Fn(&str) -> bool) -> DeskResult<ImportPreview> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(false).from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| DeskError::Invalid(format!("The file is not CSV: {e}")))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase().replace(' ', "_"))
        .collect();
    if let Some(bad) = headers.iter().find(|h| !COLUMNS.contains(&h.as_str()) && !EXPORT_COLUMNS.contains(&h.as_str()))
    {
        return Err(DeskError::Invalid(format!("Unknown column {bad:?}; use {}", COLUMNS.join(", "))));
    }
    if !headers.iter().any(|h| h == "name") {
        return Err(DeskError::Invalid("The header must include a \"name\" column.".into()));
    }
    let mut rows = Vec::new();
    let mut seen_numbers = std::collections::HashSet::new();
    let mut seen_tokens = std::collections::HashSet::new();
    for (i, record) in reader.records().enumerate() {
        if rows.len() == MAX_IMPORT_ROWS {
            return Err(DeskError::Invalid(format!("At most {MAX_IMPORT_ROWS} employees per import.")));
        }
        let line = u32::try_from(i + 2).unwrap_or(u32::MAX);
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                rows.push(ImportRow {
                    line,
                    employee: NewEmployee::default(),
                    token: None,
                    errors: vec![format!("unreadable row: {e}")],
                });
                continue;
            }
        };
        let mut e = NewEmployee::default();
        let mut token = None;
        for (h, v) in headers.iter().zip(record.iter()) {
            let v = uncell(v);
            let field = match h.as_str() {
                "name" => &mut e.name,
                "email" => &mut e.email,
                "employee_number" => &mut e.employee_number,
                "department" => &mut e.department,
                "notes" => &mut e.notes,
                "iampass_token" => {
                    token = Some(v.to_owned()).filter(|t| !t.is_empty());
                    continue;
                }
                _ => continue,
            };
            *field = v.to_owned();
        }
        let mut errors = e.normalise();
        if let Some(t) = &token {
            if t.len() != 32 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
                errors.push("The iampass_token is not one this console makes (32 hexadecimal characters)".into());
            } else if known(t) {
                errors.push("This employee (by iampass_token) is already in the book".into());
            } else if !seen_tokens.insert(t.clone()) {
                errors.push("This iampass_token appears twice in this file".into());
            }
        }
        if !e.employee_number.is_empty() {
            if taken(&e.employee_number) {
                errors.push(format!("Employee number {:?} is already in the book", e.employee_number));
            } else if !seen_numbers.insert(e.employee_number.clone()) {
                errors.push(format!("Employee number {:?} appears twice in this file", e.employee_number));
            }
        }
        rows.push(ImportRow { line, employee: e, token, errors });
    }
    let invalid = u32::try_from(rows.iter().filter(|r| !r.errors.is_empty()).count()).unwrap_or(u32::MAX);
    let valid = u32::try_from(rows.len()).unwrap_or(u32::MAX) - invalid;
    Ok(ImportPreview { rows, valid, invalid })
}

/// Spreadsheets run cells that start with these as formulas; a leading quote keeps them text.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

fn cell(s: &str) -> String {
    if s.starts_with(FORMULA_STARTS) { format!("'{s}") } else { s.to_owned() }
}

/// Undoes [`cell`]: the export's own quote before a formula character comes off on import, so an
/// export imports back unchanged.
fn uncell(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => s,
    }
}

fn write(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> DeskResult<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| DeskError::Storage(e.to_string());
    w.write_record(header).map_err(io)?;
    for r in rows {
        w.write_record(r.iter().map(|c| cell(c))).map_err(io)?;
    }
    let bytes = w.into_inner().map_err(|e| DeskError::Storage(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| DeskError::Storage(e.to_string()))
}

pub fn export_employees(list: &[Employee]) -> DeskResult<String> {
    write(
        &[
            "name",
            "email",
            "employee_number",
            "department",
            "notes",
            "iampass_token",
            "state",
            "enrolled_at",
            "created_at",
        ],
        list.iter().map(|e| {
            vec![
                e.name.clone(),
                e.email.clone(),
                e.employee_number.clone(),
                e.department.clone(),
                e.notes.clone(),
                e.token.clone(),
                serde_json::to_value(e.state).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
                e.enrolled_at.clone().unwrap_or_default(),
                e.created_at.clone(),
            ]
        }),
    )
}

pub fn export_audit(list: &[AuditEntry]) -> DeskResult<String> {
    write(
        &["at", "operator", "action", "employee", "result", "detail"],
        list.iter().map(|a| {
            vec![
                a.at.clone(),
                a.operator.clone(),
                a.action.clone(),
                a.employee_name.clone(),
                a.result.clone(),
                a.detail.clone(),
            ]
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_checked_one_by_one() {
        let text = "Name,Email,Employee Number,Department\n\
                    Ann Lee,ann@corp.example,E1,Sales\n\
                    ,bob@corp.example,E2,Ops\n\
                    Cy,not-an-email,E3,Ops\n\
                    Di,,E1,Ops\n\
                    Ed,,E9,Ops\n";
        let p = preview(text, |n| n == "E9", |_| false).unwrap();
        assert_eq!((p.valid, p.invalid), (1, 4));
        assert_eq!(p.rows[0].employee.name, "Ann Lee");
        assert_eq!(p.rows[1].line, 3);
        assert!(p.rows[1].errors[0].contains("Name is required"));
        assert!(p.rows[2].errors[0].contains("not an email"));
        assert!(p.rows[3].errors[0].contains("twice"));
        assert!(p.rows[4].errors[0].contains("already in the book"));
    }

    #[test]
    fn bad_headers_are_refused_whole() {
        assert!(preview("email\nx@y.z\n", |_| false, |_| false).is_err());
        assert!(preview("name,salary\nAnn,1\n", |_| false, |_| false).is_err());
        let ragged = preview("name,email\nAnn\n", |_| false, |_| false).unwrap();
        assert_eq!(ragged.invalid, 1);
    }

    #[test]
    fn an_export_imports_back_unchanged() {
        let now = "2026-12-01T00:00:00Z".to_owned();
        let employee = |name: &str, number: &str, notes: &str, token: &str| Employee {
            id: 1,
            name: name.into(),
            email: format!("{}@corp.example", name.to_lowercase().replace(' ', ".")),
            employee_number: number.into(),
            department: "Ops, North".into(),
            notes: notes.into(),
            token: token.into(),
            state: crate::book::EnrollmentState::Enrolled,
            link_expires_at: None,
            enrolled_at: Some(now.clone()),
            phone_kind: None,
            phone_synced: None,
            created_at: now.clone(),
            updated_at: now.clone(),
            version: 1,
            edited_by: String::new(),
        };
        let list = [
            employee("Ann Lee", "E1", "+44 20 7946 0000, ask for \"Ann\"", &"a".repeat(32)),
            employee("Bo Ng", "", "=SUM(1)", &"b".repeat(32)),
        ];
        let csv = export_employees(&list).unwrap();
        let back = preview(&csv, |_| false, |_| false).unwrap();
        assert_eq!((back.valid, back.invalid), (2, 0), "{:?}", back.rows);
        for (row, e) in back.rows.iter().zip(&list) {
            let fields = &row.employee;
            assert_eq!(
                (&fields.name, &fields.email, &fields.employee_number, &fields.department, &fields.notes),
                (&e.name, &e.email, &e.employee_number, &e.department, &e.notes)
            );
            assert_eq!(row.token.as_deref(), Some(e.token.as_str()));
        }
        // Into a book that has them already: refused row by row, not silently doubled.
        let again = preview(&csv, |_| false, |t| t == "a".repeat(32)).unwrap();
        assert_eq!(again.invalid, 1);
    }

    #[test]
    fn exports_neutralise_formulas() {
        let entry = AuditEntry {
            id: 1,
            at: "t".into(),
            operator: "op".into(),
            action: "=HYPERLINK(\"x\")".into(),
            employee_name: "Ann, \"the\" Lee".into(),
            result: "ok".into(),
            detail: String::new(),
        };
        let out = export_audit(&[entry]).unwrap();
        assert!(out.contains("'=HYPERLINK"));
        assert!(out.contains("\"Ann, \"\"the\"\" Lee\""));
    }
}
