from fastapi import FastAPI

app = FastAPI()


@app.get("/")
def index() -> dict:
    return {"message": "Hello from python-fastapi!"}


@app.get("/items/{item_id}")
def item(item_id: int) -> dict:
    return {"item_id": item_id, "double": item_id * 2}
