-- Hours spent per learner over every path, and on how many distinct paths.
SELECT
    f.user_id,
    u.mail,
    CAST(ROUND(CAST(SUM(f.hours) AS DOUBLE PRECISION), 2) AS DOUBLE PRECISION) AS hours_spent,
    CAST(COUNT(DISTINCT f.path_id) AS BIGINT) AS paths
FROM path_stats_facts AS f
LEFT JOIN learning360_users AS u ON u.id = f.user_id
WHERE f.user_id IS NOT NULL
GROUP BY f.user_id, u.mail
