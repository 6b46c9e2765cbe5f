//! Web Push subscriptions, and the server's own sealed secrets (the VAPID key).

use super::{SqlBackend, args};
use crate::clock::Millis;
use crate::store::sql::Sql as _;
use crate::store::*;

impl<B: SqlBackend> PushStore for B {
    async fn set_push_subscription(
        &self,
        device_id: &str,
        sub: PushSubscription,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let device_id = device_id.to_owned();
        self.write(move |w| {
            let active =
                w.c.row("SELECT 1 FROM devices WHERE id = ?1 AND disabled_at IS NULL", args![device_id], |_| Ok(()))?
                    .is_some();
            if active {
                w.c.exec(
                    "INSERT INTO push_subscriptions (device_id, endpoint, p256dh, auth, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (device_id) DO UPDATE SET endpoint = ?2, p256dh = ?3, auth = ?4, created_at = ?5",
                    args![device_id, sub.endpoint, sub.p256dh, sub.auth, now],
                )?;
            }
            Ok(active)
        })
        .await
    }

    async fn push_subscription(&self, device_id: &str) -> Result<Option<PushSubscription>, StoreError> {
        let device_id = device_id.to_owned();
        self.read(move |c| {
            c.row(
                "SELECT p.endpoint, p.p256dh, p.auth FROM push_subscriptions p JOIN devices d ON d.id = p.device_id
                 WHERE p.device_id = ?1 AND d.disabled_at IS NULL",
                args![device_id],
                |r| Ok(PushSubscription { endpoint: r.get(0)?, p256dh: r.get(1)?, auth: r.get(2)? }),
            )
        })
        .await
    }

    async fn drop_push_subscription(&self, device_id: &str, endpoint: Option<String>) -> Result<bool, StoreError> {
        let device_id = device_id.to_owned();
        self.write(move |w| {
            let n = w.c.exec(
                "DELETE FROM push_subscriptions WHERE device_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR endpoint = ?2)",
                args![device_id, endpoint],
            )?;
            Ok(n > 0)
        })
        .await
    }

    async fn server_secret(&self, name: &str, make: Vec<u8>, now: Millis) -> Result<Vec<u8>, StoreError> {
        let name = name.to_owned();
        self.write(move |w| {
            w.c.exec(
                "INSERT INTO server_secrets (name, sealed, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO NOTHING",
                args![name, make, now],
            )?;
            w.c.row("SELECT sealed FROM server_secrets WHERE name = ?1", args![name], |r| r.get(0))?
                .ok_or_else(|| StoreError::Corrupt(format!("the server secret {name} vanished")))
        })
        .await
    }
}
