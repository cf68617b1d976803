# The control room app, for people who prefer containers (see docker-compose.yml).
FROM python:3.11-slim
WORKDIR /app
# ffmpeg relays the cameras' RTSP and HLS feeds to the wall (dispatch/camera_sources.py).
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY dispatch dispatch
COPY gis gis
COPY routing routing
COPY dashboards dashboards
COPY data data
RUN pip install --no-cache-dir .
EXPOSE 8050
# The demo territory and its demo users (with their shared demo password) only when asked for:
# a real site creates its users with `dispatch users add` (README, "Starting a real site").
CMD ["sh", "-c", "dispatch db migrate && if [ \"$DISPATCH_DEMO\" = 1 ]; then dispatch demo load; fi && exec dispatch serve --host 0.0.0.0 --port 8050"]
