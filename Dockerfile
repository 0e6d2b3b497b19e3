# The yuqing image: the API and the scheduler/crawler worker run from it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
RUN pip install --no-cache-dir uv==0.13.8 \
 && useradd --system --create-home --home-dir /home/yuqing yuqing
COPY requirements.lock pyproject.toml README.md ./
RUN uv pip install --system --no-cache -r requirements.lock
COPY . .
RUN uv pip install --system --no-cache --no-deps . \
 && mkdir -p /app/var && chown -R yuqing /app/var
USER yuqing
EXPOSE 8000
CMD ["yuqing", "serve"]
