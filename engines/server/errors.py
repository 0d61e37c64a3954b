"""Errors as the OpenAI API writes them: `{"error": {"message", "type", "param", "code"}}` with a status."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from engines import errors


class ApiError(Exception):
    def __init__(self, status: int, message: str, *, kind: str = "invalid_request_error", code: str | None = None,
                 param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.kind, self.code, self.param = status, message, kind, code, param

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}}

    def response(self, headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=headers)


def unauthorized(message: str) -> ApiError:
    return ApiError(401, message, kind="authentication_error", code="invalid_api_key")


def forbidden(message: str) -> ApiError:
    return ApiError(403, message, kind="permission_error", code="forbidden")


def from_exception(exc: BaseException) -> ApiError:
    """The API error for what the core raised: the core's one-line message, with the status it deserves."""
    if isinstance(exc, ApiError):
        return exc
    message = str(exc) or type(exc).__name__
    if isinstance(exc, errors.ModelNotFoundError):
        return ApiError(404, message, code="model_not_found", param="model")
    if isinstance(exc, errors.GenerationError) and "context holds" in message:
        return ApiError(400, message, code="context_length_exceeded", param="messages")
    if isinstance(exc, errors.InvalidModelFileError | errors.TemplateError | errors.UsageError):
        return ApiError(400, message, param="model" if isinstance(exc, errors.InvalidModelFileError) else None)
    if isinstance(exc, errors.EngineCrashedError | errors.EngineClosedError | errors.ModelLoadError):
        return ApiError(503, message, kind="server_error", code="engine_unavailable")
    if isinstance(exc, errors.CandeiaError):
        return ApiError(500, message, kind="server_error")
    return ApiError(500, f"internal error ({type(exc).__name__})", kind="server_error")
