"""Architecture rules the suite keeps.

(a) Layers: an addon depends only on addons of its layer or below (registry ← program ← payroll ←
payment hub ← connectors; the account base beside the program), never, even transitively, on one
above it; addons at the side (insurance accounting, FHIR) depend on the layers up to payroll, and
nothing depends on them except what the side table allows. A g2p addon the tables do not know
fails: a new addon takes its place in them first. New addons named ``g2p_payment_hub_*`` are
connectors.

(b) Every hook or method a README names (````_hook````, ```_hook```, ````model._method````) exists:
on a model class of the registry (on that model when the name says which) or as a module-level
function of the addons' Python.
"""

import ast
import fnmatch
import re
import subprocess
from pathlib import Path

from odoo.tests import TransactionCase

REPO = Path(__file__).resolve().parent.parent

# ---------------------------------------------------------------------------------------- the rules

#: Layered addons (exact names first, then patterns): an addon may depend on layers <= its own.
LAYERS = {
    "g2p_registry": 0,
    "g2p_registry_verification": 0,  # ID numbers verified against the civil registry (SOAP)
    "g2p_intake": 0,  # registry intake (staging, matching), beside the registry
    "g2p_intake_program": 1,  # bridge: intake records proposed to a program
    "g2p_intake_odk_program": 1,  # bridge: the same setting on the ODK source form
    "g2p_intake_*": 0,  # intake sources (ODK Central, ...)
    "g2p_program": 1,
    "g2p_program_verification": 1,  # bridge: programs that require a verified ID
    "g2p_account": 1,  # the account base, beside the program
    "g2p_payroll": 2,
    "g2p_payment_hub": 3,
    "g2p_payment_hub_*": 4,  # connectors (PH-EE, GSMA, Fineract, bank file, ...)
    "g2p_sms_gateway": 0,  # Odoo's SMS through an HTTP gateway (the G2P admin group of the registry)
    "g2p_notice": 2,  # notices of payroll events
}

#: Addons at the side: the highest layer they may depend on, and the side addons they may use.
#: No layered addon may depend on a side addon.
SIDE = {
    "g2p_insurance_accounting": (2, set()),
    "g2p_fhir": (2, {"g2p_insurance_accounting"}),
    "g2p_notice_insurance": (2, {"g2p_insurance_accounting"}),  # bridge: claim notices
    "g2p_voucher": (2, set()),  # cash at pay points: beside the payment hub, over the payroll
    # bridge: premiums collected through the payment hub's collection requests
    "g2p_premium_collection": (3, {"g2p_insurance_accounting"}),
    "g2p_provider_payment": (3, {"g2p_insurance_accounting"}),
}

G2P_PREFIX = "g2p_"


# ------------------------------------------------------------------------------------------ checker


def layer_of(name):
    """The layer of a layered addon, or None (side or unknown)."""
    if name in LAYERS:
        return LAYERS[name]
    for pattern, layer in LAYERS.items():
        if "*" in pattern and fnmatch.fnmatchcase(name, pattern):
            return layer
    return None


def read_manifests(addons_dir):
    """{addon: its ``depends``} for every ``addons/*/__manifest__.py``."""
    return {
        path.parent.name: ast.literal_eval(path.read_text()).get("depends", [])
        for path in sorted(Path(addons_dir).glob("*/__manifest__.py"))
    }


def closure(addon, depends):
    """The g2p addons ``addon`` depends on, directly or not: {dependency: path from addon}."""
    found, todo = {}, [(dep, [addon, dep]) for dep in depends.get(addon, [])]
    while todo:
        dep, path = todo.pop()
        if not dep.startswith(G2P_PREFIX) or dep in found or dep == addon:
            continue
        found[dep] = path
        todo.extend((sub, [*path, sub]) for sub in depends.get(dep, []))
    return found


def layer_violations(depends):
    """One message per forbidden dependency of the ``depends`` map (empty when all is well)."""
    errors = []
    for addon in sorted(depends):
        if not addon.startswith(G2P_PREFIX):
            continue
        own = layer_of(addon)
        if own is None and addon not in SIDE:
            errors.append("%s is not in the layer tables of tests/test_architecture.py" % addon)
            continue
        ceiling, side_allowed = SIDE.get(addon, (own, set()))
        for dep, path in sorted(closure(addon, depends).items()):
            via = " (via %s)" % " → ".join(path) if len(path) > 2 else ""
            dep_layer = layer_of(dep)
            if dep_layer is None and dep not in SIDE:
                errors.append("%s depends on %s, an unknown g2p addon%s" % (addon, dep, via))
            elif dep in SIDE:
                # Only the side table allows a side addon, and only to the addons it names (what
                # those depend on is checked on their own line).
                if dep not in side_allowed and not any(step in side_allowed for step in path[1:-1]):
                    errors.append("%s depends on %s, at the side%s" % (addon, dep, via))
            elif dep_layer > ceiling:
                errors.append(
                    "%s (layer %s) depends on %s (layer %s), above it%s"
                    % (addon, "side" if addon in SIDE else own, dep, dep_layer, via)
                )
    return errors


def test_addons_depend_only_on_their_layer_or_below():
    depends = read_manifests(REPO / "addons")
    assert "g2p_payment_hub" in depends
    assert layer_violations(depends) == []


def test_layer_checker_names_the_offending_dependency():
    base = {
        "g2p_registry": ["base"],
        "g2p_program": ["g2p_registry"],
        "g2p_account": ["g2p_registry", "account"],
        "g2p_payroll": ["g2p_program", "g2p_account"],
        "g2p_payment_hub": ["g2p_payroll", "queue_job"],
        "g2p_payment_hub_phee": ["g2p_payment_hub"],
        "g2p_insurance_accounting": ["g2p_registry", "g2p_account"],
        "g2p_fhir": ["g2p_payroll", "g2p_insurance_accounting"],
    }
    assert layer_violations(base) == []
    assert layer_violations({**base, "g2p_program": ["g2p_registry", "g2p_payroll"]}) == [
        "g2p_program (layer 1) depends on g2p_payroll (layer 2), above it"
    ]
    # Transitively: the registry reaches the hub through a connector.
    errors = layer_violations(
        {
            **base,
            "g2p_registry": ["base", "g2p_payment_hub_gsma"],
            "g2p_payment_hub_gsma": ["g2p_payment_hub"],
        }
    )
    assert "g2p_registry (layer 0) depends on g2p_payment_hub_gsma (layer 4), above it" in errors
    assert any(e.startswith("g2p_registry (layer 0) depends on g2p_payroll (layer 2)") for e in errors)
    assert layer_violations({**base, "g2p_payment_hub": ["g2p_payroll", "g2p_payment_hub_phee"]}) == [
        "g2p_payment_hub (layer 3) depends on g2p_payment_hub_phee (layer 4), above it"
    ]
    errors = layer_violations({**base, "g2p_payroll": ["g2p_program", "g2p_insurance_accounting"]})
    assert "g2p_payroll depends on g2p_insurance_accounting, at the side" in errors
    # FHIR reaches the hub through insurance accounting: both are named.
    errors = layer_violations({**base, "g2p_insurance_accounting": ["g2p_payment_hub"]})
    assert "g2p_insurance_accounting (layer side) depends on g2p_payment_hub (layer 3), above it" in errors
    assert (
        "g2p_fhir (layer side) depends on g2p_payment_hub (layer 3), above it "
        "(via g2p_fhir → g2p_insurance_accounting → g2p_payment_hub)" in errors
    )
    assert layer_violations({**base, "g2p_insurance_accounting": ["g2p_payroll", "g2p_fhir"]}) == [
        "g2p_insurance_accounting depends on g2p_fhir, at the side"
    ]
    errors = layer_violations({**base, "g2p_payroll": ["g2p_program", "g2p_bank"]})
    assert "g2p_payroll depends on g2p_bank, an unknown g2p addon" in errors
    assert layer_violations({**base, "g2p_bank": ["g2p_registry"]}) == [
        "g2p_bank is not in the layer tables of tests/test_architecture.py"
    ]


# ------------------------------------------------------------------------------- hooks in READMEs

# ``name`` (reStructuredText) or `name` (Markdown), optionally followed by a call's parentheses.
_BACKTICKED = re.compile(r"``([^`\n]+)``|`([^`\n]+)`")
_HOOK = re.compile(r"(?:(?P<owner>[A-Za-z][\w.]*)\.)?(?P<name>_[A-Za-z0-9_]*[A-Za-z0-9])(?:\(.*\))?")


def readme_hooks(text):
    """[(owner or None, name)] for each backticked hook or method in ``text``."""
    hooks = []
    for match in _BACKTICKED.finditer(text):
        hook = _HOOK.fullmatch((match.group(1) or match.group(2)).strip())
        if hook:
            hooks.append((hook["owner"], hook["name"]))
    return hooks


def readmes():
    files = subprocess.run(
        ["git", "ls-files", "README*", "*/README*"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    return [REPO / name for name in files if name.endswith(("README.rst", "README.md"))]


def module_functions(addons_dir):
    """Names of the module-level functions of the addons' Python, and of the methods of classes that
    are not models (controllers: a README may name their shared helpers)."""
    functions = ast.FunctionDef | ast.AsyncFunctionDef
    names = set()
    for path in Path(addons_dir).glob("*/**/*.py"):
        tree = ast.parse(path.read_text(), str(path))
        names |= {node.name for node in tree.body if isinstance(node, functions)}
        if path.parent.name == "controllers":
            for cls in (node for node in tree.body if isinstance(node, ast.ClassDef)):
                names |= {node.name for node in cls.body if isinstance(node, functions)}
    return names


def test_readme_hook_pattern():
    text = "``_send``, `_fetch_status`, ``g2p.payroll._post_fee``, ``cycle._ensure(x)``, ``_``, ``code``"
    assert readme_hooks(text) == [
        (None, "_send"),
        (None, "_fetch_status"),
        ("g2p.payroll", "_post_fee"),
        ("cycle", "_ensure"),
    ]


class TestReadmeHooks(TransactionCase):
    # Outside odoo.addons, Odoo does not tag test classes by itself.
    test_tags = {"standard", "at_install"}
    test_module = "g2p_suite"

    def missing_hooks(self, text):
        """The hooks named in ``text`` that exist on no model (on the model named, when it is one)
        and as no module-level function of the addons."""
        functions = module_functions(REPO / "addons")
        registry = self.env.registry
        missing = []
        for owner, name in readme_hooks(text):
            if owner in registry:
                found = hasattr(registry[owner], name)
            else:
                found = name in functions or any(hasattr(cls, name) for cls in registry.values())
            if not found:
                missing.append("%s.%s" % (owner, name) if owner else name)
        return missing

    def test_every_hook_a_readme_names_exists(self):
        files = readmes()
        self.assertIn(REPO / "addons" / "g2p_payment_hub" / "README.rst", files)
        errors = []
        for path in files:
            for name in self.missing_hooks(path.read_text()):
                errors.append("%s names %s, which does not exist" % (path.relative_to(REPO), name))
        self.assertEqual(errors, [])

    def test_a_missing_hook_is_reported(self):
        self.assertEqual(
            self.missing_hooks(
                "``_fetch_status``, ``g2p.payment.batch._fetch_and_apply``, ``redact_url``, "
                "``_no_such_hook``, ``g2p.payment.batch._no_such_method``, ``_surely_not_sent``"
            ),
            ["_no_such_hook", "g2p.payment.batch._no_such_method"],
        )


def test_every_spec_the_code_cites_is_in_docs():
    """Code, tests and READMEs cite the specs as ``docs/<name>.md``: each must be in the repository."""
    cited = set()
    for path in [REPO / "README.md", *(REPO / "addons").glob("*/**/*"), *(REPO / "tests").glob("**/*.py")]:
        if path.is_file() and path.suffix in (".py", ".rst", ".md", ".xml"):
            cited |= set(re.findall(r"\bdocs/([\w-]+\.md)", path.read_text(errors="replace")))
    assert cited, "no spec cited: the pattern no longer matches the references"
    missing = sorted(name for name in cited if not (REPO / "docs" / name).is_file())
    assert missing == [], "cited but not in docs/: %s" % missing
