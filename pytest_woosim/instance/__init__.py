"""The Cloud Elements instance configuration: its models, loading a file with line and
column errors, Java ``SimpleDateFormat`` patterns and time-zone ids, URL date placeholders,
and which store endpoint and record fields a resource reads."""
