-- reports.rpt_tickets_by_month: how many tickets osTicket opened each month, by what they
-- become in Intercom.
-- Grain: one row per calendar month (UTC) in which a ticket was created.
-- Why: the customer's first question is "how much history, and how much of it still open";
-- the scope workbook charts this sheet (the columns stacked per month).
CREATE OR REPLACE TABLE reports.rpt_tickets_by_month AS
WITH tickets AS (
    SELECT s.ticket_id, s.created, t.outcome, t.state_category
    FROM staging.stg_tickets s
    JOIN intermediate.int_tickets t USING (ticket_id)
),
final AS (
    SELECT strftime(date_trunc('month', created), '%Y-%m') AS month,
           count(*) FILTER (WHERE outcome = 'migrate' AND state_category = 'in_progress') AS in_progress,
           count(*) FILTER (WHERE outcome = 'migrate' AND state_category = 'waiting_on_customer') AS waiting_on_customer,
           count(*) FILTER (WHERE outcome = 'migrate' AND state_category = 'resolved') AS resolved,
           count(*) FILTER (WHERE outcome <> 'migrate') AS not_created,
           count(*) AS tickets
    FROM tickets
    WHERE created IS NOT NULL
    GROUP BY 1
)
SELECT * FROM final ORDER BY month;
