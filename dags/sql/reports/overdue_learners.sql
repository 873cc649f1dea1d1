-- Learners overdue on a path: one row per overdue statistic, with the learner and the path.
SELECT
    f.user_id,
    u.mail,
    u.first_name,
    u.last_name,
    f.path_id,
    f.path_name,
    f.session_id,
    CAST(f.progress AS BIGINT) AS progress,
    f.due_date
FROM path_stats_facts AS f
LEFT JOIN learning360_users AS u ON u.id = f.user_id
WHERE f.overdue = 1
