//! Applications table.

use super::{Row, SqlBackend, args};
use crate::clock::Millis;
use crate::store::sql::Sql as _;
use crate::store::*;

const COLUMNS: &str = "id, name, secret_sealed, created_at, secret_rotated_at, number_matching, staff_of, staff_token_secs, staff_idle_secs";

fn from_row(r: &dyn Row) -> Result<AppRecord, StoreError> {
    Ok(AppRecord {
        id: r.get(0)?,
        name: r.get(1)?,
        secret_sealed: r.get(2)?,
        created_at: r.get(3)?,
        secret_rotated_at: r.get(4)?,
        number_matching: r.get(5)?,
        staff_of: r.get(6)?,
        staff_token_secs: r.get::<i64>(7)?.max(0) as u64,
        staff_idle_secs: r.get::<i64>(8)?.max(0) as u64,
    })
}

impl<B: SqlBackend> AppStore for B {
    async fn create_app(&self, app: AppRecord) -> Result<(), StoreError> {
        self.write(move |w| {
            w.c.exec(
                &format!("INSERT INTO applications ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
                args![
                    app.id,
                    app.name,
                    app.secret_sealed,
                    app.created_at,
                    app.secret_rotated_at,
                    app.number_matching,
                    app.staff_of,
                    app.staff_token_secs as i64,
                    app.staff_idle_secs as i64
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn app(&self, id: &str) -> Result<Option<AppRecord>, StoreError> {
        let id = id.to_owned();
        self.read(move |c| c.row(&format!("SELECT {COLUMNS} FROM applications WHERE id = ?1"), args![id], from_row))
            .await
    }

    async fn apps(&self) -> Result<Vec<(AppRecord, u64)>, StoreError> {
        self.read(|c| {
            c.rows(
                &format!(
                    "SELECT {COLUMNS}, (SELECT COUNT(*) FROM users u WHERE u.app_id = a.id AND u.deleted_at IS NULL)
                     FROM applications a WHERE staff_of IS NULL ORDER BY created_at, id"
                ),
                &[],
                |r| Ok((from_row(r)?, r.get::<i64>(9)?.max(0) as u64)),
            )
        })
        .await
    }

    async fn rotate_app_secret(&self, id: &str, sealed: Vec<u8>, now: Millis) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.write(move |w| {
            let n = w.c.exec(
                "UPDATE applications SET secret_sealed = ?2, secret_rotated_at = ?3 WHERE id = ?1",
                args![id, sealed, now],
            )?;
            w.applications_changed();
            Ok(n == 1)
        })
        .await
    }

    async fn set_number_matching(&self, id: &str, on: bool) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.write(move |w| {
            w.applications_changed();
            Ok(w.c.exec("UPDATE applications SET number_matching = ?2 WHERE id = ?1", args![id, on])? == 1)
        })
        .await
    }

    async fn delete_app(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.write(move |w| {
            w.applications_changed();
            Ok(w.c.exec("DELETE FROM applications WHERE id = ?1", args![id])? == 1)
        })
        .await
    }

    async fn app_generation(&self) -> Result<i64, StoreError> {
        self.read(|c| {
            c.row("SELECT n FROM app_generation", &[], |r| r.get(0))?
                .ok_or_else(|| StoreError::Corrupt("app_generation has no row".into()))
        })
        .await
    }
}
