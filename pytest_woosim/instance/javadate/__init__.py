"""A port of Java's ``java.text.SimpleDateFormat`` (English locale, Gregorian calendar).

Cloud Elements reads and writes poller dates with SimpleDateFormat patterns, and
its quirks decide which records a poll delivers, so they are reproduced here
rather than approximated with ``strptime``:

* only a prefix of the text has to match (trailing text is ignored);
* numbers are greedy unless the next pattern element is an adjacent numeric
  field (``yyyyMMdd``), in which case exactly ``count`` characters are read;
* ``S`` is a count of milliseconds, not a fraction (``.451000`` with ``SSSSSS``
  adds 451 seconds);
* lenient by default: ``2017-02-30`` is 2017-03-02, ``13:61`` is 14:01;
* missing fields default to 1970-01-01 00:00:00.000 in the formatter's zone,
  unless the text carries a zone (``z``, ``Z``, ``X``);
* two-digit years (``yy``) land within 80 years before and 20 after "now".

Known simplifications: the calendar is proleptic Gregorian (Java switches to
Julian before 1582-10-15); week fields ``w``/``W``/``F`` and weekday ``E``/``u``
are formatted, but when parsing they only decide the date together with a
week year ``Y`` (Java's week-date rule); otherwise year, month and day (or day
of year ``D``) decide it, which is what Java does for the patterns seen in
practice.

The keyword ``milliseconds`` (epoch milliseconds) is handled by :class:`DateCodec`.

The port, by job: the pattern language (:mod:`.pattern`), Java's calendar rules
and English names (:mod:`.calendar_rules`), formatting (:mod:`.formatting`), the
general parser that keeps Java's field stamps (:mod:`.general_parser`), the
compiled matcher that reads the common patterns fast (:mod:`.compiled_parser`),
:class:`SimpleDateFormat` over them (:mod:`.simple_date_format`), and
:class:`DateCodec` (:mod:`.codec`).
"""

from pytest_woosim.instance.javadate.codec import DateCodec
from pytest_woosim.instance.javadate.pattern import (
    MILLISECONDS,
    DateParseError,
    DatePatternError,
    Field,
    Literal,
    compile_pattern,
)
from pytest_woosim.instance.javadate.simple_date_format import SimpleDateFormat

__all__ = [
    "MILLISECONDS",
    "DateCodec",
    "DateParseError",
    "DatePatternError",
    "Field",
    "Literal",
    "SimpleDateFormat",
    "compile_pattern",
]
