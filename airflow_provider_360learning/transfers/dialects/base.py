"""What a warehouse dialect is to :class:`~airflow_provider_360learning.transfers.sql_writer.SqlTableWriter`.

The writer knows what a resumable, idempotent load needs (one batch per transaction, upsert on the key,
bookkeeping columns, sweep, metadata and rejects); a :class:`Dialect` knows how one engine does it:

* **connection scope**: :meth:`Dialect.session` is the connection one transaction runs on. The base keeps
  one connection per writer (opened by :meth:`Dialect.connect` on first use, closed by ``writer.close()``);
  a dialect may instead open a connection per transaction and close it after (``keeps_connection = False``),
  e.g. under a file lock for an embedded file that allows one writer at a time;
* **SQL**: every statement (DDL, ``ADD COLUMN``, upsert or ``MERGE``, sweep, metadata and rejects) is a
  sqlglot expression rendered with ``.sql(dialect=...)``, never a string branch; identifiers are quoted
  by sqlglot for the engine, and placeholders are the driver's (``%s`` or ``?``, from the hook);
* **types**: the SQL type of each column kind, and a bounded text type for key columns where the engine
  cannot index unbounded text;
* **the batch write**: :meth:`Dialect.write_frame` (base: ``executemany`` of the upsert, or of an insert
  into a staging table then ``MERGE``); dialects with a bulk path override it (PostgreSQL ``COPY``,
  Snowflake and BigQuery a staged Parquet file loaded through their own providers' hooks).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

from sqlglot import exp

from airflow_provider_360learning.transfers.dialects import LOAD_ID_COLUMN, LOADED_AT_COLUMN
from airflow_provider_360learning.transfers.tabular import Column, Kind

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)


UpsertStyle = Literal["on_conflict", "merge", "on_duplicate_key"]
TimestampStyle = Literal["iso", "aware", "naive"]
"""How a timestamp is bound: ISO-8601 UTC text, a UTC-aware datetime, or a naive datetime holding UTC."""


class WriterContext(Protocol):
    """What a dialect may use of its writer: the target and its transactions."""

    table: tuple[str, ...]
    key: tuple[str, ...]

    @property
    def connection(self) -> Any: ...

    def transaction(self, *, batch: bool = False) -> contextlib.AbstractContextManager[Any]: ...

    def table_columns(self) -> dict[str, str]: ...


class Dialect:
    """One engine's SQL, types, connection scope and batch write; one instance per writer.

    Subclasses set the class attributes and override what their engine does differently.
    """

    name: ClassVar[str] = ""
    """The registry name (the writer's ``dialect=`` override)."""
    sqlglot_dialect: ClassVar[str] = ""
    types: ClassVar[Mapping[Kind, str]] = {}
    """SQL type of each column kind, in the engine's spelling."""
    key_text_type: ClassVar[str | None] = None
    """Type of a text (or json) key column when the engine needs a bounded one (MySQL, SQL Server)."""
    staging_types: ClassVar[Mapping[Kind, str]] = {}
    """Types of a ``MERGE`` staging table that differ from :attr:`types` (json arrives as text there)."""
    max_identifier_length: ClassVar[int] = 128
    declares_primary_key: ClassVar[bool] = True
    """Whether ``CREATE TABLE`` declares the key (False where the engine cannot, e.g. BigQuery without
    ``NOT ENFORCED``); enforced or not, the upsert matches on the key."""
    upsert_style: ClassVar[UpsertStyle] = "on_conflict"
    timestamps: ClassVar[TimestampStyle] = "aware"
    default_placeholder: ClassVar[str] = "%s"
    current_schema: ClassVar[str] = "CURRENT_SCHEMA"
    """Function (no arguments) giving the schema an unqualified table lives in."""
    create_if_not_exists: ClassVar[bool] = True
    batches_in_background: ClassVar[bool] = False
    """Whether the writer runs :meth:`write_pages` on a thread of its own, one batch in flight, while its
    caller decodes the next (for an engine in the task's process that leaves Python's lock while it works)."""
    keeps_connection: ClassVar[bool] = True
    """Whether the writer keeps one connection (True) or :meth:`session` opens one per transaction."""

    def __init__(self, hook: Any, *, durable_pages: bool = False) -> None:
        self.hook = hook
        self.durable_pages = durable_pages
        style = getattr(hook, "placeholder", None)
        self.placeholder: str = style if style in ("%s", "?") else self.default_placeholder
        self._statements: dict[tuple[Any, ...], str] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({type(self.hook).__name__})"

    # --- connection scope ----------------------------------------------------------------------------

    def connect(self) -> Any:
        """A new connection of the hook, ready for explicit transactions."""
        conn = self.hook.get_conn()
        self.configure(conn)
        return conn

    def configure(self, conn: Any) -> None:
        """Prepare a new connection (base: autocommit off, through the hook)."""
        with contextlib.suppress(Exception):
            self.hook.set_autocommit(conn, False)

    @contextlib.contextmanager
    def session(self, writer: WriterContext) -> Iterator[Any]:
        """The connection one transaction of ``writer`` runs on.

        Base: the writer's kept connection (``writer.connection`` opens it once with :meth:`connect`).
        A dialect that must not hold its database between batches overrides this to open a connection
        (under whatever lock it needs), yield it, and close it on exit, and sets ``keeps_connection``
        to False. The writer begins, commits or rolls back inside this context, and on an error
        closes its kept connection (if any) after leaving it.
        """
        yield writer.connection

    def cursor(self, conn: Any) -> Any:
        """A cursor of ``conn`` returning plain tuples (the connection itself where a cursor is a new session)."""
        return tuple_cursor(conn)

    def begin(self, cursor: Any, conn: Any) -> None:
        """Start a transaction (base: DB-API connections are in one already)."""

    def commit(self, cursor: Any, conn: Any) -> None:
        conn.commit()

    def rollback(self, cursor: Any, conn: Any) -> None:
        conn.rollback()

    def may_defer_commit(self, conn: Any, opened_at: float) -> bool:
        """Whether a batch's transaction (opened at ``opened_at``, ``time.monotonic()``) may stay open for the
        next batch, its caller having more ready (base: no, every batch commits)."""
        return False

    # --- names and types -------------------------------------------------------------------------------

    def quote(self, identifier: str) -> str:
        """``identifier`` quoted for the engine (by sqlglot)."""
        return exp.to_identifier(identifier, quoted=True).sql(dialect=self.sqlglot_dialect)

    def table(self, parts: Sequence[str], alias: str | None = None) -> exp.Table:
        """A (schema-qualified) table as a sqlglot expression."""
        *rest, name = parts
        names = [exp.to_identifier(p, quoted=True) for p in rest]
        catalog = names[-2] if len(names) > 1 else None
        db = names[-1] if names else None
        table = exp.Table(this=exp.to_identifier(name, quoted=True), db=db, catalog=catalog)
        if alias:
            table.set("alias", exp.TableAlias(this=exp.to_identifier(alias, quoted=True)))
        return table

    def table_sql(self, parts: Sequence[str]) -> str:
        return self.table(parts).sql(dialect=self.sqlglot_dialect)

    def check_table(self, parts: Sequence[str]) -> None:
        """Refuse a table name the engine cannot take (base: any; BigQuery needs a dataset)."""

    def check_identifier(self, name: str, what: str = "column") -> None:
        """Refuse a name the engine would truncate or reject, naming it and the limit."""
        if not name:
            raise ValueError(f"an empty {what} name is not allowed")
        if len(name) > self.max_identifier_length:
            raise ValueError(
                f"{what} name {name!r} has {len(name)} characters; {self.name} allows at most "
                f"{self.max_identifier_length} (it would be truncated)"
            )

    def column_type(self, kind: Kind, *, key: bool = False) -> str:
        """The SQL type of a column of ``kind`` (a bounded text type for a key where the engine needs one)."""
        if key and kind in ("text", "json") and self.key_text_type:
            return self.key_text_type
        return self.types[kind]

    def parse_type(self, sql_type: str) -> exp.DataType:
        """A SQL type in the engine's spelling, checked by sqlglot (ValueError naming it when invalid)."""
        try:
            return exp.DataType.build(sql_type, dialect=self.sqlglot_dialect)
        except Exception as error:
            raise ValueError(f"{sql_type!r} is not a {self.name} column type: {error}") from error

    def column_def(self, name: str, sql_type: str) -> exp.ColumnDef:
        """A column definition; its type checked by sqlglot and kept as spelt (``VARCHAR(40)`` stays, where
        sqlglot would write SQLite's ``TEXT(40)``: the type asked for, by ``column_types`` or this dialect)."""
        kind: exp.Expression = self.parse_type(sql_type)
        if _squeezed(kind.sql(dialect=self.sqlglot_dialect)) != _squeezed(sql_type):
            kind = exp.Var(this=sql_type.strip())
        return exp.ColumnDef(this=exp.to_identifier(name, quoted=True), kind=kind)

    # --- rendering -----------------------------------------------------------------------------------

    def render(self, expression: exp.Expression) -> str:
        """The statement in the engine's SQL, with the driver's placeholder."""
        bound = expression.transform(
            lambda node: exp.var(self.placeholder) if isinstance(node, exp.Placeholder) else node, copy=True
        )
        return bound.sql(dialect=self.sqlglot_dialect)

    def _cached(self, key: tuple[Any, ...], build: Callable[[], exp.Expression | str]) -> str:
        """Statements are rendered once per writer and shape (a batch reuses its upsert)."""
        sql = self._statements.get(key)
        if sql is None:
            built = build()
            sql = built if isinstance(built, str) else self.render(built)
            self._statements[key] = sql
        return sql

    def _column(self, name: str, table: str | None = None) -> exp.Column:
        return exp.column(
            exp.to_identifier(name, quoted=True), table=exp.to_identifier(table, quoted=True) if table else None
        )

    def _keys_match(self, key: Sequence[str]) -> exp.Condition:
        """``k1 = ? AND k2 = ?``."""
        return exp.and_(*(self._column(k).eq(exp.Placeholder()) for k in key))

    def _not_loaded(self) -> exp.Condition:
        """Rows another load wrote (or none did): ``_load_id IS NULL OR _load_id <> ?``."""
        column = self._column(LOAD_ID_COLUMN)
        return exp.or_(column.is_(exp.null()), column.neq(exp.Placeholder()))

    # --- DDL -----------------------------------------------------------------------------------------

    def create_table(self, table: Sequence[str], columns: Sequence[tuple[str, str]], key: Sequence[str]) -> str:
        """``CREATE TABLE`` with typed columns and the primary key (where the engine has one)."""
        definitions: list[exp.Expression] = [self.column_def(name, sql_type) for name, sql_type in columns]
        if self.declares_primary_key and key:
            definitions.append(exp.PrimaryKey(expressions=[exp.to_identifier(k, quoted=True) for k in key]))
        create = exp.Create(
            kind="TABLE",
            this=exp.Schema(this=self.table(table), expressions=definitions),
            exists=self.create_if_not_exists,
        )
        return self.render(create)

    def add_column(self, table: Sequence[str], name: str, sql_type: str) -> str:
        """``ALTER TABLE ... ADD COLUMN``."""
        definition = self.column_def(name, sql_type)
        return self.render(exp.Alter(this=self.table(table), kind="TABLE", actions=[definition]))

    def existing_columns_query(self, table: Sequence[str]) -> tuple[str, tuple[Any, ...]]:
        """The query of a table's columns (name, data type) in ``information_schema``, and its parameters."""
        name, schema = table[-1], (table[-2] if len(table) > 1 else None)
        schema_value: exp.Expression = exp.Placeholder() if schema else exp.Anonymous(this=self.current_schema)
        query = (
            exp.select(exp.column("column_name"), exp.column("data_type"))
            .from_(exp.table_("columns", db="information_schema"))
            .where(exp.column("table_schema").eq(schema_value))
            .where(exp.column("table_name").eq(exp.Placeholder()))
            .order_by(exp.column("ordinal_position"))
        )
        return self.render(query), ((schema, name) if schema else (name,))

    def existing_columns(self, cursor: Any, table: Sequence[str]) -> dict[str, str] | None:
        """Column name -> data type of ``table``, or None when it does not exist."""
        sql, parameters = self.existing_columns_query(table)
        cursor.execute(sql, parameters)
        return {str(row[0]): str(row[1]) for row in cursor.fetchall()} or None

    # --- writes --------------------------------------------------------------------------------------

    def upsert_statement(self, table: Sequence[str], names: Sequence[str], key: Sequence[str]) -> str:
        """Insert-or-update of one row of placeholders (``executemany``), for the ``on_conflict`` and
        ``on_duplicate_key`` engines; a ``merge`` engine merges from a staging table instead."""

        def build() -> exp.Expression:
            values = exp.values([exp.Tuple(expressions=[exp.Placeholder() for _ in names])])
            return self._insert_or_update(table, names, key, values)

        return self._cached(("upsert", tuple(table), tuple(names), tuple(key)), build)

    def _insert_or_update(
        self, table: Sequence[str], names: Sequence[str], key: Sequence[str], source: exp.Expression
    ) -> exp.Expression:
        columns = [exp.to_identifier(n, quoted=True) for n in names]
        insert = exp.Insert(this=exp.Schema(this=self.table(table), expressions=columns), expression=source)
        updated = [n for n in names if n not in key]
        if self.upsert_style == "on_duplicate_key":
            assignments = [
                self._column(n).eq(exp.Anonymous(this="VALUES", expressions=[exp.to_identifier(n, quoted=True)]))
                for n in updated
            ]
            insert.set("conflict", exp.OnConflict(duplicate=True, expressions=assignments, action=exp.var("UPDATE")))
            return insert
        if self.upsert_style != "on_conflict":
            raise NotImplementedError(f"{self.name} merges from a staging table (merge_statement)")
        excluded = exp.to_identifier("excluded")  # the special row of ON CONFLICT: unquoted
        assignments = [
            self._column(n).eq(exp.column(exp.to_identifier(n, quoted=True), table=excluded)) for n in updated
        ]
        insert.set(
            "conflict",
            exp.OnConflict(
                conflict_keys=[self._column(k) for k in key],
                action=exp.var("DO UPDATE") if assignments else exp.var("DO NOTHING"),
                expressions=assignments or None,
            ),
        )
        return insert

    def upsert_from_statement(
        self, table: Sequence[str], source: Sequence[str], names: Sequence[str], key: Sequence[str]
    ) -> str:
        """Insert-or-update from a staging table (``INSERT ... SELECT ... ORDER BY key ON CONFLICT``, key order
        so that concurrent writers of overlapping batches lock keys in one order), or ``MERGE``."""
        if self.upsert_style == "merge":
            return self.merge_statement(table, source, names, key, {})

        def build() -> exp.Expression:
            select = (
                exp.select(*(self._column(n) for n in names))
                .from_(self.table(source))
                .order_by(*(self._column(k) for k in key))
            )
            return self._insert_or_update(table, names, key, select)

        return self._cached(("upsert_from", tuple(table), tuple(source), tuple(names), tuple(key)), build)

    def merge_statement(
        self,
        table: Sequence[str],
        source: Sequence[str],
        names: Sequence[str],
        key: Sequence[str],
        kinds: Mapping[str, Kind],
    ) -> str:
        """``MERGE INTO table USING staging ON key WHEN MATCHED UPDATE WHEN NOT MATCHED INSERT``."""

        def build() -> str:
            values = {n: self.staged_value(self._column(n, "src"), kinds.get(n, "text")) for n in names}
            on = exp.and_(*(self._column(k, "tgt").eq(self._column(k, "src")) for k in key))
            updates = [self._column(n).eq(values[n]) for n in names if n not in key]
            whens = []
            if updates:
                whens.append(exp.When(matched=True, then=exp.Update(expressions=updates)))
            whens.append(
                exp.When(
                    matched=False,
                    then=exp.Insert(
                        this=exp.Tuple(expressions=[exp.to_identifier(n, quoted=True) for n in names]),
                        expression=exp.Tuple(expressions=list(values.values())),
                    ),
                )
            )
            merge = exp.Merge(
                this=self.table(table, alias="tgt"),
                using=self.table(source, alias="src"),
                on=on,
                whens=exp.Whens(expressions=whens),
            )
            return self.render(merge) + self.merge_terminator

        return self._cached(("merge", tuple(table), tuple(source), tuple(names), tuple(key)), build)

    merge_terminator: ClassVar[str] = ""

    def staged_value(self, column: exp.Expression, kind: Kind) -> exp.Expression:
        """A staged value as the target column takes it (a dialect parses json text into its JSON type here)."""
        return column

    def staging_table(self, table: Sequence[str], names: Sequence[str]) -> tuple[str, ...]:
        """Name of the staging table of ``table`` for these columns (stable: one per shape)."""
        digest = hashlib.sha1("\x00".join((*table, *names)).encode(), usedforsecurity=False).hexdigest()[:12]
        return (f"_stage_{digest}",)

    def create_staging(self, staging: Sequence[str], columns: Sequence[tuple[str, str]]) -> str:
        """A temporary staging table (its columns' types as given)."""
        definitions = [self.column_def(n, t) for n, t in columns]
        create = exp.Create(
            kind="TABLE",
            this=exp.Schema(this=self.table(staging), expressions=definitions),
            properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
        )
        return self.render(create)

    def drop_table(self, table: Sequence[str]) -> str:
        return self.render(exp.Drop(kind="TABLE", tables=[self.table(table)], exists=True))

    def insert_statement(self, table: Sequence[str], names: Sequence[str]) -> str:
        """``INSERT INTO table (names) VALUES (?, ...)``."""

        def build() -> exp.Expression:
            return exp.insert(
                exp.values([exp.Tuple(expressions=[exp.Placeholder() for _ in names])]),
                self.table(table),
                columns=[exp.to_identifier(n, quoted=True) for n in names],
            )

        return self._cached(("insert", tuple(table), tuple(names)), build)

    def delete_keys_statement(self, table: Sequence[str], key: Sequence[str]) -> str:
        """``DELETE FROM table WHERE k1 = ? AND ...`` (service tables: delete then insert is portable)."""
        return self._cached(
            ("delete_keys", tuple(table), tuple(key)),
            lambda: exp.delete(self.table(table), where=self._keys_match(key)),
        )

    def staging_columns(
        self, names: Sequence[str], kinds: Mapping[str, Kind], key: Sequence[str]
    ) -> list[tuple[str, str]]:
        """Columns of a ``MERGE`` staging table: the target's types, json as the staging type of text."""
        columns = []
        for name in names:
            kind = kinds.get(name, "text")
            sql_type = self.staging_types.get(kind) or self.column_type(kind, key=name in key)
            columns.append((name, sql_type))
        return columns

    def write_frame(
        self,
        writer: WriterContext,
        frame: pd.DataFrame,
        kinds: Mapping[str, Kind],
        load_id: str,
        loaded_at: dt.datetime,
    ) -> None:
        """Upsert one batch (unique keys, at least one row) in one transaction of ``writer``.

        Base: ``executemany`` of the upsert statement; for a ``merge`` engine, ``executemany`` into a
        temporary staging table, then ``MERGE``, then the staging table is dropped.
        """
        all_kinds = with_bookkeeping(kinds)
        names = list(all_kinds)
        rows = frame_rows(frame, kinds, self.timestamps, load_id, loaded_at)
        with writer.transaction() as cursor:
            if self.upsert_style != "merge":
                cursor.executemany(self.upsert_statement(writer.table, names, writer.key), rows)
                return
            staging = self.staging_table(writer.table, names)
            cursor.execute(self.drop_table(staging))
            cursor.execute(self.create_staging(staging, self.staging_columns(names, all_kinds, writer.key)))
            cursor.executemany(self.insert_statement(staging, names), rows)
            cursor.execute(self.merge_statement(writer.table, staging, names, writer.key, all_kinds))
            cursor.execute(self.drop_table(staging))

    # --- typed rows (a dialect with a binary bulk path) ------------------------------------------------

    def accepts_typed_rows(self, writer: WriterContext, columns: Sequence[Column], actual: Mapping[str, str]) -> bool:
        """Whether ``upsert_typed`` can write rows of these columns into a table of ``actual`` types
        (column -> data type as the database reports it, after ``ensure_table``)."""
        return False

    def write_typed(
        self,
        writer: WriterContext,
        columns: Sequence[Column],
        rows: Sequence[tuple[Any, ...]],
        load_id: str,
        loaded_at: dt.datetime,
    ) -> None:
        raise NotImplementedError(f"{self.name} takes no typed rows")

    def accepts_pages(self, columns: Sequence[Column]) -> bool:
        """Whether :meth:`write_pages` may write page bodies of these columns (base: no dialect parses JSON)."""
        return False

    def write_pages(
        self,
        writer: WriterContext,
        columns: Sequence[Column],
        pages: Sequence[bytes],
        load_id: str,
        loaded_at: dt.datetime,
    ) -> None:
        """Upsert the rows of JSON page bodies that ``TypedPageDecoder`` accepted (unique keys), parsed by the
        engine itself: for an engine that runs in the task's process, the parsing leaves Python's lock."""
        raise NotImplementedError(f"{self.name} takes no page bodies")

    # --- sweep, keep_keys, service queries -------------------------------------------------------------

    def count_statement(self, table: Sequence[str], *, not_loaded: bool) -> str:
        """``SELECT COUNT(*)`` of the table, or of its rows another load wrote."""

        def build() -> exp.Expression:
            query = exp.select(exp.Count(this=exp.Star())).from_(self.table(table))
            return query.where(self._not_loaded()) if not_loaded else query

        return self._cached(("count", tuple(table), not_loaded), build)

    def sample_not_loaded_statement(self, table: Sequence[str], key: Sequence[str], limit: int) -> str:
        """Up to ``limit`` keys of rows another load wrote, in key order (what a sweep deletes)."""
        return self._cached(
            ("sample", tuple(table), tuple(key), limit),
            lambda: (
                exp.select(*(self._column(k) for k in key))
                .from_(self.table(table))
                .where(self._not_loaded())
                .order_by(*(self._column(k) for k in key))
                .limit(limit)
            ),
        )

    def delete_not_loaded_statement(self, table: Sequence[str]) -> str:
        return self._cached(
            ("delete_not_loaded", tuple(table)), lambda: exp.delete(self.table(table), where=self._not_loaded())
        )

    def keep_keys_statement(self, table: Sequence[str], key: Sequence[str]) -> str:
        """``UPDATE table SET _load_id = ? WHERE k1 = ? ...`` (parameters: load id, then the key)."""
        return self._cached(
            ("keep_keys", tuple(table), tuple(key)),
            lambda: exp.Update(
                this=self.table(table),
                expressions=[self._column(LOAD_ID_COLUMN).eq(exp.Placeholder())],
                where=exp.Where(this=self._keys_match(key)),
            ),
        )

    def _latest_load(self, table: Sequence[str], column: str, *conditions: exp.Expression) -> exp.Expression:
        """``column`` of the latest successful load of a table in the metadata table (parameters: table, status,
        then one per placeholder in ``conditions``)."""
        query = (
            exp.select(self._column(column))
            .from_(self.table(table))
            .where(self._column("table_name").eq(exp.Placeholder()))
            .where(self._column("status").eq(exp.Placeholder()))
        )
        for condition in conditions:
            query = query.where(condition)
        return query.order_by(exp.Ordered(this=self._column("finished_at"), desc=True)).limit(1)

    def latest_watermark_statement(self, table: Sequence[str]) -> str:
        """The latest successful watermark of a table in the metadata table (parameters: table, status)."""
        return self._cached(
            ("watermark", tuple(table)),
            lambda: self._latest_load(table, "watermark", exp.not_(self._column("watermark").is_(exp.null()))),
        )

    def latest_load_statement(self, table: Sequence[str]) -> str:
        """Rows of the latest successful load of a table in one mode (parameters: table, status, mode)."""
        return self._cached(
            ("latest_load", tuple(table)),
            lambda: self._latest_load(table, "rows_loaded", self._column("mode").eq(exp.Placeholder())),
        )

    def bind_value(self, value: Any) -> Any:
        """A Python value as the driver binds it into a column (timestamps in the dialect's style)."""
        if isinstance(value, dt.datetime):
            return bind_timestamp(value, self.timestamps)
        return value


# --- values --------------------------------------------------------------------------------------------


def utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def iso(value: dt.datetime) -> str:
    """ISO-8601 UTC with microseconds: how timestamps are stored as text (sorts correctly)."""
    return utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def bind_timestamp(value: dt.datetime, style: TimestampStyle) -> Any:
    if style == "iso":
        return iso(value)
    if style == "naive":
        return utc(value).replace(tzinfo=None)
    return utc(value)


def with_bookkeeping(kinds: Mapping[str, Kind]) -> dict[str, Kind]:
    """The batch's columns and kinds followed by the bookkeeping columns (``_load_id``, ``_loaded_at``)."""
    return {**kinds, LOAD_ID_COLUMN: "text", LOADED_AT_COLUMN: "timestamp"}


def json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"))


def column_values(series: pd.Series, kind: Kind, timestamps: TimestampStyle) -> list[Any]:
    """Python values of one frame column (None for missing), as DB-API drivers bind them."""
    import numpy as np
    import pandas as pd

    if kind == "timestamp":
        mask = series.isna().to_numpy()
        if timestamps == "iso":
            texts = np.datetime_as_string(series.to_numpy(dtype="datetime64[us]"), unit="us", timezone="UTC").tolist()
            return [None if m else t for t, m in zip(texts, mask, strict=True)]
        naive = series.to_numpy(dtype="datetime64[us]").astype(object)  # UTC wall time, tz-aware or not
        if timestamps == "naive":
            return [None if m else v for v, m in zip(naive, mask, strict=True)]
        return [None if m else v.replace(tzinfo=dt.UTC) for v, m in zip(naive, mask, strict=True)]
    values = series.array.to_numpy(dtype=object, na_value=None).tolist()
    if kind == "json" and not isinstance(series.dtype, pd.StringDtype):
        return [None if v is None else json_text(v) for v in values]
    return values


def frame_rows(
    frame: pd.DataFrame,
    kinds: Mapping[str, Kind],
    timestamps: TimestampStyle,
    load_id: str,
    loaded_at: dt.datetime,
) -> list[tuple[Any, ...]]:
    """The batch's rows with the bookkeeping values appended (``_load_id``, ``_loaded_at``)."""
    columns = [column_values(frame[name], kind, timestamps) for name, kind in kinds.items()]
    stamp = bind_timestamp(loaded_at, timestamps)
    n = len(frame)
    return list(zip(*columns, [load_id] * n, [stamp] * n, strict=True))


def _squeezed(sql: str) -> str:
    return "".join(sql.split()).upper()


def tuple_cursor(conn: Any) -> Any:
    """A cursor returning plain tuples, whatever cursor factory the connection's extras configure."""
    module = type(conn).__module__
    if module.startswith("psycopg2"):
        import psycopg2.extensions

        return conn.cursor(cursor_factory=psycopg2.extensions.cursor)
    if module.startswith("psycopg"):
        from psycopg.rows import tuple_row

        return conn.cursor(row_factory=tuple_row)
    return conn.cursor()


def rowcount(cursor: Any) -> int:
    """Rows a statement changed (DuckDB reports the count as a result row)."""
    count = getattr(cursor, "rowcount", -1)
    if count is None or count < 0:
        with contextlib.suppress(Exception):
            row = cursor.fetchone()
            return int(row[0]) if row else 0
        return 0
    return int(count)


__all__ = [
    "LOADED_AT_COLUMN",
    "LOAD_ID_COLUMN",
    "Dialect",
    "TimestampStyle",
    "UpsertStyle",
    "WriterContext",
    "bind_timestamp",
    "column_values",
    "frame_rows",
    "iso",
    "json_text",
    "rowcount",
    "tuple_cursor",
    "utc",
    "with_bookkeeping",
]
