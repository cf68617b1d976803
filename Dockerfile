# The control room app, for people who prefer containers (see docker-compose.yml).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY dispatch dispatch
COPY gis gis
COPY routing routing
COPY dashboards dashboards
COPY data data
RUN pip install --no-cache-dir .
EXPOSE 8050
CMD ["sh", "-c", "dispatch db migrate && dispatch demo load && exec dispatch serve --host 0.0.0.0 --port 8050"]
