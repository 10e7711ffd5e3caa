#!/usr/bin/env python3
"""trx.py RESULTS.trx OUT.tsv: one line per test result, "outcome<TAB>full name<TAB>first line of the message".
outcome: passed, failed, skipped (NotExecuted, Inconclusive, ...). Full name: the NUnit adapter's
FullyQualifiedName-like "Namespace.Class.Test(args)" (className of the TestMethod + the result's testName)."""
import sys, xml.etree.ElementTree as ET

ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
root = ET.parse(sys.argv[1]).getroot()
classes = {}
for ut in root.iterfind("t:TestDefinitions/t:UnitTest", ns):
    tm = ut.find("t:TestMethod", ns)
    classes[ut.get("id")] = tm.get("className") if tm is not None else ""
rows = []
for r in root.iterfind("t:Results/t:UnitTestResult", ns):
    o = r.get("outcome", "")
    outcome = {"Passed": "passed", "Failed": "failed", "Error": "failed", "Timeout": "failed",
               "Aborted": "failed"}.get(o, "skipped")
    cls = classes.get(r.get("testId"), "")
    name = r.get("testName", "")
    full = name if (not cls or name.startswith(cls + ".")) else cls + "." + name
    msg = r.findtext("t:Output/t:ErrorInfo/t:Message", default="", namespaces=ns) or ""
    first = next((l.strip() for l in msg.splitlines() if l.strip()), "")
    rows.append((outcome, full, first.replace("\t", " ")[:300]))
with open(sys.argv[2], "w") as f:
    for row in sorted(rows, key=lambda x: x[1]):
        f.write("\t".join(row) + "\n")
