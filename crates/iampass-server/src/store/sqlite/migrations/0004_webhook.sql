-- How far the outgoing webhook has delivered the event log (one row, once a webhook is set), so a
-- restart resumes where it stopped instead of losing or repeating events.
CREATE TABLE webhook_cursor (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    delivered_through INTEGER NOT NULL
);
