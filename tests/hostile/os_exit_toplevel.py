def _leave(code=os._exit(0)):  # os._exit(0) at definition time: the process just ends, "successfully"
    pass
