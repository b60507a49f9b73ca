/* sw.js: placeholder, replaced by the offline worker. {{ASSETS}} {{ASSET_FILES}} */
