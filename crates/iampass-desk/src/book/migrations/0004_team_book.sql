-- The book becomes this desk's copy of the team book: each employee's version there (0: not on
-- the server yet, a book from before the team book) and who wrote it. Two desks may write the
-- same employee number at once, and the copy must hold what the team book holds, so the number
-- is no longer unique here; the console checks it before it writes.
ALTER TABLE employees ADD COLUMN book_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE employees ADD COLUMN edited_by TEXT NOT NULL DEFAULT '';
DROP INDEX employees_number;
CREATE INDEX employees_number ON employees(employee_number) WHERE employee_number != '';
