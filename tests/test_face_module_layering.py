"""The modules of ``microexp.face`` import one another in one direction only (no cycle, not even
through an import inside a function), and the public names stay where users import them from."""
from __future__ import annotations

import ast
from pathlib import Path

import microexp.face

FACE_DIR = Path(microexp.face.__file__).parent


def _face_imports(path: Path) -> set[str]:
    """Sibling modules of ``microexp.face`` that ``path`` imports, at any depth of its code."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:  # from .x import … / from . import x
                found.update([node.module.split(".")[0]] if node.module else [a.name for a in node.names])
            elif node.level == 0 and (node.module or "").startswith("microexp.face."):
                found.add(node.module.split(".")[2])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[2] for a in node.names if a.name.startswith("microexp.face."))
    return found


def test_face_modules_have_no_import_cycle():
    graph = {p.stem: _face_imports(p) - {p.stem} for p in FACE_DIR.glob("*.py") if p.stem != "__init__"}
    assert "landmarks" not in graph["detection"]
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for dep in sorted(graph.get(module, ())):
            assert state.get(dep) != 1, f"import cycle: {' -> '.join(path + [module, dep])}"
            if dep not in state:
                visit(dep, path + [module])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [])


def test_public_face_names_unchanged():
    from microexp.face import detection, landmarks

    for name in ("FaceDetection", "clip_box", "detect_face", "find_face", "eye_centres", "landmarks_68",
                 "landmarks_plausible", "mouth_centre"):
        assert hasattr(microexp.face, name), name
    for name in ("Box", "FaceDetection", "clip_box", "detect_face", "find_face", "frontal_face_detector"):
        assert hasattr(detection, name), name
    for name in ("Box", "JAW", "LEFT_EYE", "RIGHT_EYE", "OUTER_LIPS", "NOSE_TIP", "landmarks_68", "landmarks_plausible",
                 "eye_centres", "mouth_centre", "shape_predictor"):
        assert hasattr(landmarks, name), name
