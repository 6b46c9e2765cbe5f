//! The team book: sealed entries, the book's key generation and change counter, and desks.

use iampass_proto::wire::{DeskChange, DeskEvent, EventData};

use super::{Row, Sql, SqlBackend, Writer, args, users};
use crate::clock::Millis;
use crate::domain::session::Policy;
use crate::store::*;

const ENTRY_COLUMNS: &str = "user_id, version, generation, sealed, writer, written_at, revision";
const DESK_COLUMNS: &str =
    "id, app_id, name, public_key, requested_by, requested_at, approved_by, approved_at, generation, wrapped";

fn entry_from_row(r: &dyn Row) -> Result<BookEntryRow, StoreError> {
    Ok(BookEntryRow {
        user_id: r.get(0)?,
        version: r.get(1)?,
        generation: r.get(2)?,
        sealed: r.get(3)?,
        writer: r.get(4)?,
        written_at: r.get(5)?,
        revision: r.get(6)?,
    })
}

fn desk_from_row(r: &dyn Row) -> Result<DeskRow, StoreError> {
    Ok(DeskRow {
        id: r.get(0)?,
        app_id: r.get(1)?,
        name: r.get(2)?,
        public_key: r.get(3)?,
        requested_by: r.get(4)?,
        requested_at: r.get(5)?,
        approved_by: r.get(6)?,
        approved_at: r.get(7)?,
        generation: r.get(8)?,
        wrapped: r.get(9)?,
    })
}

fn find_entry<C: Sql>(c: &mut C, app_id: &str, user_id: &str) -> Result<Option<BookEntryRow>, StoreError> {
    c.row(
        &format!("SELECT {ENTRY_COLUMNS} FROM book_entries WHERE app_id = ?1 AND user_id = ?2"),
        args![app_id, user_id],
        entry_from_row,
    )
}

fn find_desk<C: Sql>(c: &mut C, app_id: &str, desk_id: &str) -> Result<Option<DeskRow>, StoreError> {
    c.row(
        &format!("SELECT {DESK_COLUMNS} FROM desks WHERE app_id = ?1 AND id = ?2"),
        args![app_id, desk_id],
        desk_from_row,
    )
}

/// Opens a change to the book: makes its row the first time and locks it (the transaction's first
/// write, so changes to one book are serialized and their revisions commit in order). The key's
/// generation.
fn lock_book<C: Sql>(c: &mut C, app_id: &str) -> Result<i64, StoreError> {
    c.exec(
        "INSERT INTO books (app_id, generation, revision) VALUES (?1, 0, 0) ON CONFLICT (app_id) DO NOTHING",
        args![app_id],
    )?;
    c.row("UPDATE books SET revision = revision WHERE app_id = ?1 RETURNING generation", args![app_id], |r| r.get(0))?
        .ok_or_else(|| StoreError::Corrupt("the book's row vanished".into()))
}

/// The next revision, for one more entry of the change under way: every entry has its own, so a
/// desk that pages through the book by revision never skips part of a large write.
fn bump<C: Sql>(c: &mut C, app_id: &str) -> Result<i64, StoreError> {
    c.row("UPDATE books SET revision = revision + 1 WHERE app_id = ?1 RETURNING revision", args![app_id], |r| r.get(0))?
        .ok_or_else(|| StoreError::Corrupt("the book's row vanished".into()))
}

fn generation<C: Sql>(c: &mut C, app_id: &str) -> Result<i64, StoreError> {
    Ok(c.row("SELECT generation FROM books WHERE app_id = ?1", args![app_id], |r| r.get(0))?.unwrap_or(0))
}

/// Writes one entry's new version (or its removal) at `revision` and emits it.
fn put_entry<C: Sql>(w: &mut Writer<'_, C>, app_id: &str, entry: BookEntryRow) -> Result<BookEntryRow, StoreError> {
    w.c.exec(
        "INSERT INTO book_entries (app_id, user_id, version, generation, sealed, writer, written_at, revision)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (app_id, user_id) DO UPDATE SET version = excluded.version, generation = excluded.generation,
             sealed = excluded.sealed, writer = excluded.writer, written_at = excluded.written_at,
             revision = excluded.revision",
        args![
            app_id,
            entry.user_id,
            entry.version,
            entry.generation,
            entry.sealed,
            entry.writer,
            entry.written_at,
            entry.revision
        ],
    )?;
    w.emit(app_id, entry.written_at, EventData::Book(entry.to_wire()))?;
    Ok(entry)
}

/// Writes a sealed entry over the version it replaces, under key `generation`, at its own revision.
fn put_sealed<C: Sql>(
    w: &mut Writer<'_, C>,
    app_id: &str,
    write: SealedWrite,
    generation: i64,
    writer: &str,
    now: Millis,
) -> Result<BookEntryRow, StoreError> {
    let entry = BookEntryRow {
        version: write.replaces + 1,
        user_id: write.user_id,
        generation,
        sealed: Some(write.sealed),
        writer: writer.to_owned(),
        written_at: now,
        revision: bump(w.c, app_id)?,
    };
    put_entry(w, app_id, entry)
}

/// The version an entry is at now (0: none), checked against the one a write replaces.
fn check_version<C: Sql>(c: &mut C, app_id: &str, user_id: &str, replaces: i64) -> Result<(), BookError> {
    let current = find_entry(c, app_id, user_id)?.map_or(0, |e| e.version);
    if current != replaces {
        return Err(BookRefusal::StaleVersion { user_id: user_id.to_owned(), replaces, current }.into());
    }
    Ok(())
}

fn desk_event<C: Sql>(
    w: &mut Writer<'_, C>,
    app_id: &str,
    desk_id: &str,
    change: DeskChange,
    generation: i64,
    now: Millis,
) -> Result<(), StoreError> {
    let generation = u32::try_from(generation).unwrap_or(0);
    w.emit(app_id, now, EventData::Desk(DeskEvent { desk_id: desk_id.to_owned(), change, generation }))
}

impl<B: SqlBackend> BookStore for B {
    async fn book_generation(&self, app_id: &str) -> Result<i64, StoreError> {
        let app_id = app_id.to_owned();
        self.read(move |c| generation(c, &app_id)).await
    }

    async fn book_entries(&self, app_id: &str, since: i64, limit: u32) -> Result<Vec<BookEntryRow>, StoreError> {
        let app_id = app_id.to_owned();
        self.read(move |c| {
            c.rows(
                &format!(
                    "SELECT {ENTRY_COLUMNS} FROM book_entries WHERE app_id = ?1 AND revision > ?2
                     ORDER BY revision LIMIT ?3"
                ),
                args![app_id, since, limit],
                entry_from_row,
            )
        })
        .await
    }

    async fn book_entry(&self, app_id: &str, user_id: &str) -> Result<Option<BookEntryRow>, StoreError> {
        let (app_id, user_id) = (app_id.to_owned(), user_id.to_owned());
        self.read(move |c| find_entry(c, &app_id, &user_id)).await
    }

    async fn write_book(
        &self,
        app_id: &str,
        given: i64,
        writes: Vec<SealedWrite>,
        writer: &str,
        now: Millis,
    ) -> Result<Vec<BookEntryRow>, BookError> {
        let (app_id, writer) = (app_id.to_owned(), writer.to_owned());
        self.write(move |w| {
            let current = lock_book(w.c, &app_id)?;
            if given != current || current == 0 {
                return Err(BookRefusal::StaleGeneration { given, current }.into());
            }
            let mut written = Vec::with_capacity(writes.len());
            for write in writes {
                check_version(w.c, &app_id, &write.user_id, write.replaces)?;
                if write.replaces == 0 && users::find(w.c, &app_id, &write.user_id)?.is_none() {
                    users::add(w, &app_id, &write.user_id, now)?;
                }
                written.push(put_sealed(w, &app_id, write, current, &writer, now)?);
            }
            Ok(written)
        })
        .await
    }

    async fn remove_book_entry(
        &self,
        app_id: &str,
        user_id: &str,
        version: i64,
        writer: &str,
        now: Millis,
        policy: Policy,
    ) -> Result<BookEntryRow, BookError> {
        let (app_id, user_id, writer) = (app_id.to_owned(), user_id.to_owned(), writer.to_owned());
        self.write(move |w| {
            let generation = lock_book(w.c, &app_id)?;
            match find_entry(w.c, &app_id, &user_id)? {
                Some(e) if e.sealed.is_some() => check_version(w.c, &app_id, &user_id, version)?,
                _ => return Err(BookRefusal::UnknownEntry.into()),
            }
            if let Some(user) = users::find(w.c, &app_id, &user_id)? {
                users::delete(w, &user, now, &policy)?;
            }
            let entry = BookEntryRow {
                user_id,
                version: version + 1,
                generation,
                sealed: None,
                writer,
                written_at: now,
                revision: bump(w.c, &app_id)?,
            };
            Ok(put_entry(w, &app_id, entry)?)
        })
        .await
    }

    async fn request_desk(&self, desk: DeskRow) -> Result<DeskRow, StoreError> {
        self.write(move |w| {
            w.c.exec(
                "INSERT INTO desks (id, app_id, name, public_key, requested_by, requested_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (app_id, public_key) DO NOTHING",
                args![desk.id, desk.app_id, desk.name, desk.public_key, desk.requested_by, desk.requested_at],
            )?;
            let row =
                w.c.row(
                    &format!("SELECT {DESK_COLUMNS} FROM desks WHERE app_id = ?1 AND public_key = ?2"),
                    args![desk.app_id, desk.public_key],
                    desk_from_row,
                )?
                .ok_or_else(|| StoreError::Corrupt("a desk just recorded vanished".into()))?;
            if row.id == desk.id {
                let generation = generation(w.c, &desk.app_id)?;
                desk_event(w, &desk.app_id, &desk.id, DeskChange::Requested, generation, desk.requested_at)?;
            }
            Ok(row)
        })
        .await
    }

    async fn desks(&self, app_id: &str) -> Result<Vec<DeskRow>, StoreError> {
        let app_id = app_id.to_owned();
        self.read(move |c| {
            c.rows(
                &format!("SELECT {DESK_COLUMNS} FROM desks WHERE app_id = ?1 ORDER BY requested_at, id"),
                args![app_id],
                desk_from_row,
            )
        })
        .await
    }

    async fn desk(&self, app_id: &str, desk_id: &str) -> Result<Option<DeskRow>, StoreError> {
        let (app_id, desk_id) = (app_id.to_owned(), desk_id.to_owned());
        self.read(move |c| find_desk(c, &app_id, &desk_id)).await
    }

    async fn approve_desk(
        &self,
        app_id: &str,
        desk_id: &str,
        given: i64,
        wrapped: Vec<u8>,
        approver: &str,
        now: Millis,
    ) -> Result<DeskRow, BookError> {
        let (app_id, desk_id, approver) = (app_id.to_owned(), desk_id.to_owned(), approver.to_owned());
        self.write(move |w| {
            let current = lock_book(w.c, &app_id)?;
            if given != current || current == 0 {
                return Err(BookRefusal::StaleGeneration { given, current }.into());
            }
            let n = w.c.exec(
                "UPDATE desks SET approved_by = ?3, approved_at = ?4, generation = ?5, wrapped = ?6
                 WHERE app_id = ?1 AND id = ?2",
                args![app_id, desk_id, approver, now, current, wrapped],
            )?;
            if n == 0 {
                return Err(BookRefusal::UnknownDesk.into());
            }
            desk_event(w, &app_id, &desk_id, DeskChange::Approved, current, now)?;
            find_desk(w.c, &app_id, &desk_id)?.ok_or_else(|| BookRefusal::UnknownDesk.into())
        })
        .await
    }

    async fn refuse_desk(&self, app_id: &str, desk_id: &str, now: Millis) -> Result<(), BookError> {
        let (app_id, desk_id) = (app_id.to_owned(), desk_id.to_owned());
        self.write(move |w| {
            let desk = find_desk(w.c, &app_id, &desk_id)?.ok_or(BookRefusal::UnknownDesk)?;
            if desk.wrapped.is_some() {
                return Err(BookRefusal::DeskApproved.into());
            }
            w.c.exec("DELETE FROM desks WHERE app_id = ?1 AND id = ?2", args![app_id, desk_id])?;
            let generation = generation(w.c, &app_id)?;
            desk_event(w, &app_id, &desk_id, DeskChange::Removed, generation, now)?;
            Ok(())
        })
        .await
    }

    async fn rotate_book(&self, r: KeyRotation) -> Result<(), BookError> {
        let KeyRotation { app_id, generation: given, wrapped, entries, writer, approver, at: now } = r;
        self.write(move |w| {
            let current = lock_book(w.c, &app_id)?;
            if given != current + 1 {
                return Err(BookRefusal::StaleGeneration { given, current }.into());
            }
            let live: i64 =
                w.c.row(
                    "SELECT COUNT(*) FROM book_entries WHERE app_id = ?1 AND sealed IS NOT NULL",
                    args![app_id],
                    |r| r.get(0),
                )?
                .unwrap_or(0);
            if usize::try_from(live).ok() != Some(entries.len()) {
                return Err(BookRefusal::Incomplete.into());
            }
            w.c.exec("UPDATE books SET generation = ?2 WHERE app_id = ?1", args![app_id, given])?;
            let keep: std::collections::HashSet<&str> = wrapped.iter().map(|(id, _)| id.as_str()).collect();
            for desk in
                w.c.rows("SELECT id FROM desks WHERE app_id = ?1 AND wrapped IS NOT NULL", args![app_id], |r| {
                    r.get::<String>(0)
                })?
            {
                if !keep.contains(desk.as_str()) {
                    w.c.exec("DELETE FROM desks WHERE app_id = ?1 AND id = ?2", args![app_id, desk])?;
                    desk_event(w, &app_id, &desk, DeskChange::Removed, given, now)?;
                }
            }
            for (desk, key) in &wrapped {
                let n = w.c.exec(
                    "UPDATE desks SET generation = ?3, wrapped = ?4,
                         approved_by = COALESCE(approved_by, ?5), approved_at = COALESCE(approved_at, ?6)
                     WHERE app_id = ?1 AND id = ?2",
                    args![app_id, desk, given, key, approver, now],
                )?;
                if n == 0 {
                    return Err(BookRefusal::UnknownDesk.into());
                }
            }
            for write in entries {
                match find_entry(w.c, &app_id, &write.user_id)? {
                    Some(e) if e.sealed.is_some() && e.version == write.replaces => {}
                    _ => return Err(BookRefusal::Incomplete.into()),
                }
                put_sealed(w, &app_id, write, given, &writer, now)?;
            }
            desk_event(w, &app_id, "", DeskChange::Rotated, given, now)?;
            Ok(())
        })
        .await
    }
}
