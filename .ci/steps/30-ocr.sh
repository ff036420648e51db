# PDF and scanned input (tests/ingest, eval/corpus).
# - tesseract-ocr + tesseract-ocr-chi-sim: the second OCR engine (Simplified Chinese).
#   RapidOCR, the default engine, ships its models inside its wheel: nothing to fetch.
# - fonts-wqy-zenhei: the CJK font eval/corpus/generate.py draws the test PDFs with
#   (reportlab cannot use the Noto CJK .ttc files).
# - libgl1, libglib2.0-0: rapidocr-onnxruntime depends on opencv-python (the GUI build,
#   not the headless one), whose cv2 module will not import without them.
# PDF pages are rasterised with pypdfium2 (a wheel), so poppler is not needed.
APT_PACKAGES+=(tesseract-ocr tesseract-ocr-chi-sim fonts-wqy-zenhei libgl1 libglib2.0-0)
