"""`python run.py`: web, worker and cron on the embedded defaults; `run:app` for gunicorn/flask."""
from app import create_app

app = create_app()

if __name__ == "__main__":
    from app.embedded.supervisor import main

    main()
