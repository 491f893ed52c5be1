"""`python -m web`: the one web application (log-in, codec endpoints), served by uvicorn (web/serve.py)."""

from web.serve import main

main()
