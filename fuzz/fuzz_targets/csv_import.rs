//! The console's CSV import preview (a file an operator picks; it may come from anywhere).
//!
//! Properties: nothing panics; the counts add up; a row without errors really is valid (normalising
//! it again finds nothing, and a token it carries is one the console makes and not in the book) and
//! line numbers increase.
#![no_main]

use iampass_desk::csv_io;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let known = "0".repeat(32);
    let Ok(preview) = csv_io::preview(text, |number| number == "E-TAKEN", |token| token == known) else { return };
    assert_eq!(preview.valid as usize + preview.invalid as usize, preview.rows.len());
    assert!(preview.rows.len() <= csv_io::MAX_IMPORT_ROWS);
    let mut last_line = 1;
    for row in &preview.rows {
        assert!(row.line > last_line, "line numbers increase");
        last_line = row.line;
        if row.errors.is_empty() {
            let mut again = row.employee.clone();
            assert!(again.normalise().is_empty(), "a valid row stays valid: {:?}", row.employee);
            assert_eq!(again, row.employee, "normalising is idempotent");
            assert_ne!(row.employee.employee_number, "E-TAKEN");
            if let Some(token) = &row.token {
                assert!(token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit()) && *token != known, "{token:?}");
            }
        }
    }
});
