-- One row per path statistic with what every report counts, in PostgreSQL's dialect (sqlglot compiles it
-- for the warehouse's own when the task runs). The reports select from it as "path_stats_facts".
--   completed: a completion date, or a progress of 100 or more (a stat reaches 100 before completedAt is set)
--   hours:     time spent, in milliseconds in the API, as hours; a missing time counts as 0
--   overdue:   status type 'late', or not completed and due before :now (the run's logical time, not the
--              database clock, so a re-run of the same run gives the same report)
SELECT
    facts.*,
    CASE WHEN facts.status_type = 'late' OR (facts.completed = 0 AND facts.due_date < :now) THEN 1 ELSE 0 END AS overdue
FROM (
    SELECT
        s.path_id,
        p.name AS path_name,
        s.session_id,
        ps.group_id,
        g.name AS group_name,
        s.user_id,
        s.progress,
        s.due_date,
        s.status ->> 'type' AS status_type,
        CASE WHEN s.completed_at IS NOT NULL OR s.progress >= 100 THEN 1 ELSE 0 END AS completed,
        CAST(COALESCE(s.time_spent, 0) AS DOUBLE PRECISION) / 3600000 AS hours
    FROM learning360_path_stats AS s
    LEFT JOIN learning360_paths AS p ON p.id = s.path_id
    LEFT JOIN learning360_path_sessions AS ps ON ps.id = s.session_id
    LEFT JOIN learning360_groups AS g ON g.id = ps.group_id
) AS facts
