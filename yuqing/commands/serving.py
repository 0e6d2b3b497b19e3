"""Commands that keep running: serve (the API and the pages) and scheduler (the periodic jobs)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from core.settings import Settings
from yuqing import wiring


def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1, max=64, help="Server processes [default: api.workers, 0 = one per CPU core]."
        ),
    ] = None,
) -> None:
    """Serve the API and its documentation."""
    settings = wiring.command_settings()
    if workers is None:
        workers = settings.api.workers or os.cpu_count() or 1
    serve_app(settings, host, port, workers=workers)


def serve_app(
    settings: Settings,
    host: str | None,
    port: int | None,
    *,
    workers: int = 1,
    notes: list[str] | None = None,
) -> None:
    """Serve the product (API and pages) until stopped; `notes` are printed with the address."""
    import uvicorn

    from yuqing.app import create_app, prepare

    host = host or settings.api.host
    port = port or settings.api.port
    application = create_app(settings)
    base = f"http://{host}:{port}"
    typer.echo("")
    typer.echo(f"yuqing on {base}  (Ctrl-C stops it)")
    typer.echo(f"  pages:     {base}/  (sign in; each role lands on its own screen)")
    typer.echo(f"  API docs:  {base}/docs")
    typer.echo(f"  health:    {base}/health")
    typer.echo(f"  search:    {base}/api/posts/search?q=停水  (needs a bearer token)")
    for line in notes or []:
        typer.echo(line.format(base=base))
    if workers > 1:
        # Once, before the processes start, rather than in all of them at once.
        prepare(application)
        # Each worker process builds its own app from the same settings (the environment).
        uvicorn.run(
            "yuqing.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=settings.log_level.lower(),
        )
        return
    uvicorn.run(application, host=host, port=port, log_level=settings.log_level.lower())


def scheduler() -> None:
    """Run the periodic jobs: crawling, clustering and alerts, deadline warnings, retention.

    Start as many as the load needs, on any hosts sharing the store and tracker database:
    they share the sources, and one of them leads the clustering job (README, "Scaling out").
    """
    from yuqing.scheduler import Worker

    worker = Worker(wiring.command_settings())
    for job in worker.scheduler.get_jobs():
        typer.echo(f"job {job.id}: {job.name} ({job.trigger})")
    worker.start()
