-- benchmarks/simplified_stca.rules written by hand as one DuckDB query: the baseline
-- for the columnar engine (benchmarks/run.py, "SQL"). It computes the same decision
-- fields as rulelang (status, outcome, returns_to, exceptions, missing facts,
-- unestablished exceptions with their facts), the way an analyst would write it:
-- one pass, flat columns. Keep it in step with the .rules file and with
-- simplified_baseline_decision in run.py.
WITH scope AS (
  SELECT
    id, claim_date, relatives, age, accompanied, valid_us_visa, public_interest_waiver,
    CASE WHEN claim_date < DATE '2004-12-29' THEN 'not_yet_in_force' ELSE 'in_force' END AS status,
    claim_country = 'USA' AS c1,
    arrived_from = 'CAN' AS c2,
    NOT (list_contains(nationalities, 'USA') OR list_contains(nationalities, 'CAN')) AS c3,
    entry_type = 'land_port_of_entry' AS port,
    entry_type = 'between_ports' AS between,
    entry_date >= DATE '2023-03-25' AND claim_date - entry_date <= 14 AS protocol,
    entry_type, entry_date, arrived_from
  FROM cases
), decided AS (
  SELECT *,
    port OR (between AND protocol) AS c4,
    list_bool_or(list_transform(relatives, lambda r:
      list_contains(['spouse', 'child', 'parent', 'legal_guardian', 'sibling', 'grandparent'], r.relation)
      AND r.location = 'USA'
      AND list_contains(['citizen', 'permanent_resident', 'asylee', 'refugee'], r.status))) AS x1,
    age < 18 AND NOT accompanied AS x2
  FROM scope
), outcome AS (
  SELECT *,
    CASE
      WHEN status <> 'in_force' THEN 'not_in_force'
      WHEN c1 IS FALSE OR c2 IS FALSE OR c3 IS FALSE OR c4 IS FALSE THEN 'not_applicable'
      WHEN c2 IS NULL OR c4 IS NULL THEN 'undetermined'
      WHEN x1 OR x2 OR valid_us_visa OR public_interest_waiver THEN 'exempt'
      ELSE 'applies'
    END AS outcome
  FROM decided
)
SELECT
  id AS "case",
  'simplified_stca' AS agreement,
  claim_date AS as_of,
  status,
  outcome,
  CASE WHEN outcome = 'applies' THEN 'CAN' END AS returns_to,
  CASE WHEN outcome IN ('exempt', 'undetermined') THEN list_concat(
    CASE WHEN x1 THEN ['family_in_us'] END, CASE WHEN x2 THEN ['unaccompanied_minor'] END,
    CASE WHEN valid_us_visa THEN ['valid_visa'] END,
    CASE WHEN public_interest_waiver THEN ['public_interest'] END) ELSE [] END AS exceptions,
  CASE WHEN outcome = 'undetermined' THEN list_sort(list_concat(
    CASE WHEN c2 IS NULL THEN ['arrived_from'] END,
    CASE WHEN c4 IS NULL THEN list_concat(
      CASE WHEN entry_type IS NULL THEN ['entry_type'] END,
      CASE WHEN entry_date IS NULL AND between IS NOT FALSE THEN ['entry_date'] END) END))
    ELSE [] END AS missing,
  CASE WHEN outcome IN ('exempt', 'undetermined', 'applies') THEN list_concat(
    CASE WHEN relatives IS NULL THEN [{'exception': 'family_in_us', 'facts': ['relatives']}] END,
    CASE WHEN x2 IS NULL THEN [{'exception': 'unaccompanied_minor', 'facts': list_concat(
      CASE WHEN accompanied IS NULL THEN ['accompanied'] END,
      CASE WHEN age IS NULL THEN ['age'] END)}] END,
    CASE WHEN valid_us_visa IS NULL THEN [{'exception': 'valid_visa', 'facts': ['valid_us_visa']}] END,
    CASE WHEN public_interest_waiver IS NULL
      THEN [{'exception': 'public_interest', 'facts': ['public_interest_waiver']}] END)
    ELSE [] END AS unestablished
FROM outcome
