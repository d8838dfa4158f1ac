"""The push route: a task for a community, accepted (201) or refused (422, the rule named)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from services.matters.runtime import matters_of
from services.matters.schemas import PushTaskRequest, TaskView
from services.matters.tasks.decide import PushTask
from services.matters.tasks.events import TaskPushed
from shared.community_code import require_valid_code
from shared.service_web import ContextDep, json_response

router = APIRouter()


@router.post("/communities/{code}/tasks", status_code=201, response_model=TaskView)
async def push_task(
    code: str, body: PushTaskRequest, request: Request, ctx: ContextDep
) -> Response:
    runtime = matters_of(request)
    code = require_valid_code(code)
    cmd = PushTask(code, body.matter_id, body.department, body.title, body.due)
    (recorded,) = await runtime.tasks.push(cmd, ctx)
    task = runtime.catalog.decode(recorded)
    assert isinstance(task, TaskPushed)
    view = TaskView(
        task_id=task.task_id, code=task.code, matter_id=task.matter_id,
        matter_name=task.matter_name, runway=task.runway, department=task.department,
        title=task.title, due=task.due, pushed_at=recorded.recorded_at,
    )  # fmt: skip
    return json_response(view, 201, {})
