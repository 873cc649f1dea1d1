-- Completion per dimension (path: path_id/path_name, group: group_id/group_name, substituted for
-- dimension_id/dimension_name). A statistic with no such dimension (a session without a group, a path or
-- session the warehouse does not hold) counts in the group whose key is NULL.
SELECT
    f.dimension_id,
    f.dimension_name,
    CAST(COUNT(f.user_id) AS BIGINT) AS enrolled,
    CAST(SUM(f.completed) AS BIGINT) AS completed,
    CAST(ROUND(CAST(SUM(f.hours) AS DOUBLE PRECISION), 2) AS DOUBLE PRECISION) AS hours_spent,
    CAST(
        ROUND(CAST(SUM(f.completed) AS DOUBLE PRECISION) / NULLIF(COUNT(f.user_id), 0), 4) AS DOUBLE PRECISION
    ) AS completion_rate
FROM path_stats_facts AS f
GROUP BY f.dimension_id, f.dimension_name
